import { hash, randomBytes, timingSafeEqual } from 'node:crypto'

// A key: `sgw_<prefix>_<secret>`. The prefix (48 random bits) finds the row,
// the secret (256 random bits) proves possession; only SHA-256 of the whole
// key is stored. Keys are random, so a fast hash is enough: nothing to guess.
const KEY_PATTERN = /^sgw_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/

export interface GeneratedKey {
  key: string
  prefix: string
  hash: string
}

export function generateKey (): GeneratedKey {
  const prefix = 'sgw_' + randomBytes(6).toString('base64url')
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`
  return { key, prefix, hash: hashKey(key) }
}

export function hashKey (key: string): string {
  return hash('sha256', key, 'hex')
}

/** The lookup prefix of a well-formed key, else undefined (no database query for junk). */
export function keyPrefix (key: string): string | undefined {
  const match = KEY_PATTERN.exec(key)
  return match === null ? undefined : `sgw_${match[1] as string}`
}

export function sameHash (a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && timingSafeEqual(x, y)
}
