import { gunzipSync, gzipSync } from 'node:zlib'
import { iso, toDate, toNumber, toNumberOrNull, type StoreContext } from './db.js'
import { markFailed, markUnknown, toOrder } from './orders.js'
import type { ClaimIdempotency, ClaimResult, CompleteIdempotency } from './types.js'

// A claim is one atomic statement at a time, so it needs no transaction:
// insert-if-absent, else take over an expired record with an UPDATE whose
// WHERE re-checks expiry (only one concurrent writer can match), else report
// the live record. A record deleted in between (released) means try again.
const ATTEMPTS = 5

// Orders that never reached the panel.
const RELEASABLE = ['reserved', 'failed', 'rejected']

export async function claimIdempotency (ctx: StoreContext, r: ClaimIdempotency): Promise<ClaimResult> {
  const now = r.now ?? new Date()
  const fresh = {
    fingerprint: r.fingerprint,
    route: r.route,
    state: 'in_flight',
    status: null,
    body: null,
    body_gzip: null,
    headers: null,
    order_local_id: null,
    created_at: iso(now),
    expires_at: iso(new Date(now.getTime() + r.ttlSeconds * 1000))
  }
  const record = (db: typeof ctx.db = ctx.db) => db.updateTable('idempotency_keys').set(fresh)
    .where('tenant_id', '=', r.tenantId)
    .where('key', '=', r.key)
  const stale = (at: Date): boolean => r.staleBefore !== undefined && at < r.staleBefore
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const inserted = await ctx.db.insertInto('idempotency_keys')
      .values({ tenant_id: r.tenantId, key: r.key, ...fresh })
      .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst()
    if (inserted !== undefined) return { state: 'claimed' }

    const replaced = await record().where('expires_at', '<=', iso(now)).returning('key').executeTakeFirst()
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
        body: row.body_gzip === null ? ctx.json(row.body) : JSON.parse(gunzipSync(row.body_gzip).toString('utf8')),
        headers: (ctx.json(row.headers) ?? {}) as Record<string, string>
      }
    }
    const orderLocalId = toNumberOrNull(row.order_local_id)
    if (orderLocalId !== null) {
      const order = await orderByRow(ctx, orderLocalId)
      switch (order?.state) {
        case 'placed':
          return { state: 'placed', order }
        case 'unknown':
          return { state: 'unknown', order }
        case 'sending':
          if (!stale(order.updatedAt)) return { state: 'in_flight' }
          await markUnknown(ctx, order.localId)
          continue
        case 'reserved':
          if (!stale(order.updatedAt)) return { state: 'in_flight' }
          await markFailed(ctx, order.localId)
          continue
      }
      // Its order never reached the panel (failed, rejected, gone): this request may send it.
      const taken = await record().where('order_local_id', '=', orderLocalId).returning('key').executeTakeFirst()
      if (taken !== undefined) return { state: 'claimed' }
      continue
    }
    if (row.state === 'unknown') return { state: 'unknown' }
    if (!stale(toDate(row.created_at))) return { state: 'in_flight' }
    // Left by a process that died. Work that records its orders reserved none, so sent none.
    if (r.ledger !== true) return { state: 'unknown' }
    const taken = await record()
      .where('order_local_id', 'is', null)
      .where('created_at', '=', iso(toDate(row.created_at)))
      .returning('key')
      .executeTakeFirst()
    if (taken !== undefined) return { state: 'claimed' }
  }
  throw new Error(`idempotency key kept changing under contention (${ATTEMPTS} attempts)`)
}

async function orderByRow (ctx: StoreContext, localId: number) {
  const row = await ctx.db.selectFrom('orders').selectAll().where('local_id', '=', localId).executeTakeFirst()
  return row === undefined ? undefined : toOrder(ctx, row)
}

// A batch answer of 1000 items is ~100 KB of JSON and compresses about tenfold;
// small answers stay readable in the table.
const COMPRESS_ABOVE_BYTES = 4096

function packBody (body: unknown): { body: string | null, body_gzip: Buffer | null } {
  // undefined is not JSON; a body-less answer is stored as null.
  const json = JSON.stringify(body ?? null)
  return Buffer.byteLength(json) <= COMPRESS_ABOVE_BYTES ? { body: json, body_gzip: null } : { body: null, body_gzip: gzipSync(json) }
}

export async function completeIdempotency (ctx: StoreContext, r: CompleteIdempotency): Promise<void> {
  await ctx.db.updateTable('idempotency_keys')
    .set({
      state: 'done',
      status: r.status,
      ...packBody(r.body),
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
    // The store, not the caller, decides: a claim whose order was sent is never released.
    .where((eb) => eb.or([
      eb('order_local_id', 'is', null),
      eb('order_local_id', 'in', eb.selectFrom('orders').select('local_id').where('state', 'in', RELEASABLE))
    ]))
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
