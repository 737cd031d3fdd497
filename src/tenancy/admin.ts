import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import { GatewayError } from '../problems/errors.js'
import { DEFAULT_SCOPES, type ApiKey, type NewTenant, type Store, type Tenant } from '../store/types.js'
import type { Authenticator } from './authenticator.js'
import { generateKey } from './keys.js'

// Tenant and key management shared by the admin routes and the CLI.

export interface IssuedKey {
  id: number
  key: string
  prefix: string
  expiresAt: Date | null
}

/** The authenticator of this process, told of a new key (none in the CLI, which has no cache). */
export type KeyAdmission = Pick<Authenticator, 'admit'>

/** Without `scopes`, the tenant gets DEFAULT_SCOPES: every scope but `balance:read`. */
export async function createTenant (store: Store, input: Omit<NewTenant, 'scopes'> & { scopes?: NewTenant['scopes'] }, authenticator?: KeyAdmission): Promise<{ tenant: Tenant, key: IssuedKey }> {
  const tenant = await store.createTenant({ ...input, scopes: input.scopes ?? [...DEFAULT_SCOPES] })
  return { tenant, key: await issueKey(store, tenant.id, null, SYSTEM_CLOCK, authenticator) }
}

/**
 * `clock`: the wall time an expiry must lie beyond (the app's, which also decides when the key stops working).
 * `authenticator`: dropped from its cache of unknown keys, so the key works at once here; other
 * instances may refuse it for their short negative TTL if its hash was presented there before.
 */
export async function issueKey (store: Store, tenantId: number, expiresAt: Date | null = null, clock: Clock = SYSTEM_CLOCK, authenticator?: KeyAdmission): Promise<IssuedKey> {
  if (await store.getTenant(tenantId) === undefined) throw new GatewayError('not_found', `Tenant ${tenantId} does not exist`)
  if (expiresAt !== null && expiresAt.getTime() <= clock.now()) {
    throw new GatewayError('validation_failed', 'expiresAt must be in the future')
  }
  const generated = generateKey()
  const record = await store.createKey({ tenantId, prefix: generated.prefix, hash: generated.hash, expiresAt })
  authenticator?.admit(generated.key)
  return { id: record.id, key: generated.key, prefix: record.prefix, expiresAt: record.expiresAt }
}

/** A key as listed: never its secret or hash. */
export function publicKey (key: ApiKey): { id: number, tenantId: number, prefix: string, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null } {
  return {
    id: key.id,
    tenantId: key.tenantId,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null
  }
}
