import { iso, toDate, toNumber, type StoreContext } from './db.js'
import type { ClaimIdempotency, ClaimResult, CompleteIdempotency } from './types.js'

// A claim is one atomic statement at a time, so it needs no transaction:
// insert-if-absent, else take over an expired record with an UPDATE whose
// WHERE re-checks expiry (only one concurrent writer can match), else report
// the live record. A record deleted in between (released) means try again.
const ATTEMPTS = 5

export async function claimIdempotency (ctx: StoreContext, r: ClaimIdempotency): Promise<ClaimResult> {
  const now = r.now ?? new Date()
  const fresh = {
    fingerprint: r.fingerprint,
    route: r.route,
    state: 'in_flight',
    status: null,
    body: null,
    headers: null,
    created_at: iso(now),
    expires_at: iso(new Date(now.getTime() + r.ttlSeconds * 1000))
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const inserted = await ctx.db.insertInto('idempotency_keys')
      .values({ tenant_id: r.tenantId, key: r.key, ...fresh })
      .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst()
    if (inserted !== undefined) return { state: 'claimed' }

    const replaced = await ctx.db.updateTable('idempotency_keys')
      .set(fresh)
      .where('tenant_id', '=', r.tenantId)
      .where('key', '=', r.key)
      .where('expires_at', '<=', iso(now))
      .returning('key')
      .executeTakeFirst()
    if (replaced !== undefined) return { state: 'claimed' }

    const row = await ctx.db.selectFrom('idempotency_keys').selectAll()
      .where('tenant_id', '=', r.tenantId)
      .where('key', '=', r.key)
      .executeTakeFirst()
    if (row === undefined || toDate(row.expires_at) <= now) continue
    if (row.fingerprint !== r.fingerprint || row.route !== r.route) return { state: 'mismatch' }
    if (row.state === 'done') {
      return {
        state: 'done',
        status: toNumber(row.status ?? 0),
        body: ctx.json(row.body),
        headers: (ctx.json(row.headers) ?? {}) as Record<string, string>
      }
    }
    if (row.state === 'unknown') return { state: 'unknown' }
    const abandoned = r.inFlightSeconds !== undefined && toDate(row.created_at).getTime() + r.inFlightSeconds * 1000 <= now.getTime()
    return abandoned ? { state: 'unknown' } : { state: 'in_flight' }
  }
  throw new Error(`idempotency key kept changing under contention (${ATTEMPTS} attempts)`)
}

export async function completeIdempotency (ctx: StoreContext, r: CompleteIdempotency): Promise<void> {
  await ctx.db.updateTable('idempotency_keys')
    .set({
      state: 'done',
      status: r.status,
      // undefined is not JSON; a body-less answer is stored as null.
      body: JSON.stringify(r.body ?? null),
      headers: JSON.stringify(r.headers)
    })
    .where('tenant_id', '=', r.tenantId)
    .where('key', '=', r.key)
    .execute()
}

export async function releaseIdempotency (ctx: StoreContext, tenantId: number, key: string): Promise<void> {
  await ctx.db.deleteFrom('idempotency_keys')
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .where('state', '=', 'in_flight')
    .execute()
}

export async function markIdempotencyUnknown (ctx: StoreContext, tenantId: number, key: string): Promise<void> {
  await ctx.db.updateTable('idempotency_keys')
    .set({ state: 'unknown' })
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .execute()
}

export async function purgeIdempotency (ctx: StoreContext, now = new Date()): Promise<number> {
  const result = await ctx.db.deleteFrom('idempotency_keys').where('expires_at', '<=', iso(now)).executeTakeFirst()
  return Number(result.numDeletedRows)
}
