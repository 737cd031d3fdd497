import type { Selectable } from 'kysely'
import { iso, toDate, toDateOrNull, toNumber, type ApiKeysTable, type StoreContext } from './db.js'
import { withFreshId } from './ids.js'
import type { ApiKey, NewApiKey } from './types.js'

function toKey (row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: toNumber(row.id),
    tenantId: toNumber(row.tenant_id),
    prefix: row.prefix,
    hash: row.hash,
    createdAt: toDate(row.created_at),
    expiresAt: toDateOrNull(row.expires_at),
    revokedAt: toDateOrNull(row.revoked_at),
    lastUsedAt: toDateOrNull(row.last_used_at)
  }
}

export async function createKey (ctx: StoreContext, k: NewApiKey, now = new Date()): Promise<ApiKey> {
  // A random id: a key's id must not tell how many keys the gateway issued before it.
  const row = await withFreshId(async (id) => await ctx.db.insertInto('api_keys')
    .values({
      id,
      tenant_id: k.tenantId,
      prefix: k.prefix,
      hash: k.hash,
      created_at: iso(now),
      expires_at: k.expiresAt == null ? null : iso(k.expiresAt)
    })
    .returningAll()
    .executeTakeFirstOrThrow())
  return toKey(row)
}

export async function findKeyByPrefix (ctx: StoreContext, prefix: string): Promise<ApiKey | undefined> {
  const row = await ctx.db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst()
  return row === undefined ? undefined : toKey(row)
}

export async function getKey (ctx: StoreContext, id: number): Promise<ApiKey | undefined> {
  const row = await ctx.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : toKey(row)
}

// Oldest first by creation (ids are random); keys created within one millisecond in either order.
export async function listKeys (ctx: StoreContext, tenantId: number): Promise<ApiKey[]> {
  const rows = await ctx.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute()
  return rows.map(toKey)
}

export async function revokeKey (ctx: StoreContext, id: number, now = new Date()): Promise<ApiKey | undefined> {
  await ctx.db.updateTable('api_keys').set({ revoked_at: iso(now) }).where('id', '=', id).where('revoked_at', 'is', null).execute()
  return await getKey(ctx, id)
}

export async function touchKey (ctx: StoreContext, id: number, now = new Date()): Promise<void> {
  await ctx.db.updateTable('api_keys').set({ last_used_at: iso(now) }).where('id', '=', id).execute()
}
