import { createHash, timingSafeEqual } from 'node:crypto'

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
}

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * A check of presented tokens against one secret in constant time: both are
 * hashed first, so neither the secret's length nor its content leaks through
 * timing. No secret: nothing matches.
 */
export function secretMatcher (secret: string | undefined): (presented: string | undefined) => boolean {
  if (secret === undefined) return () => false
  const expected = digest(secret)
  return (presented) => presented !== undefined && timingSafeEqual(expected, digest(presented))
}
