import { sql } from 'kysely'
import { iso, toNumber, type StoreContext } from './db.js'
import { appendEvents } from './events.js'
import type { NewEvent, StoredEvent } from './types.js'

// Catalog comparisons take turns on PostgreSQL: two instances comparing the
// same new catalog at once would otherwise each emit its changes.
const CATALOG_LOCK = 0x736d6d63 // 'smmc'

/**
 * Stores the panel's catalog and appends the events `diff` derives from the
 * one stored before (undefined when none was: the first is the baseline).
 */
export async function recordCatalog (ctx: StoreContext, panel: string, services: Array<{ id: number, data: unknown }>, diff: (previous: Map<number, unknown> | undefined) => NewEvent[], now: Date): Promise<StoredEvent[]> {
  return await ctx.writeTransaction(async (trx) => {
    if (ctx.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(CATALOG_LOCK)})`.execute(trx)
    const rows = await trx.selectFrom('catalog_services').select(['service_id', 'data']).where('panel', '=', panel).execute()
    const previous = rows.length === 0 ? undefined : new Map(rows.map((r) => [toNumber(r.service_id), ctx.json(r.data)]))
    const events = diff(previous)
    const seen = new Set(services.map((s) => s.id))
    const gone = [...(previous?.keys() ?? [])].filter((id) => !seen.has(id))
    for (let i = 0; i < gone.length; i += 500) {
      await trx.deleteFrom('catalog_services').where('panel', '=', panel).where('service_id', 'in', gone.slice(i, i + 500)).execute()
    }
    const changed = services.filter((s) => previous === undefined || JSON.stringify(previous.get(s.id)) !== JSON.stringify(s.data))
    for (let i = 0; i < changed.length; i += 200) {
      const values = changed.slice(i, i + 200).map((s) => ({ panel, service_id: s.id, data: JSON.stringify(s.data), updated_at: iso(now) }))
      await trx.insertInto('catalog_services').values(values)
        .onConflict((oc) => oc.columns(['panel', 'service_id']).doUpdateSet((eb) => ({ data: eb.ref('excluded.data'), updated_at: eb.ref('excluded.updated_at') })))
        .execute()
    }
    return await appendEvents(ctx, trx, events, now)
  })
}
