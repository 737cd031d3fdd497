import { randomInt } from 'node:crypto'

/** The gateway's ids: random below 2^48, so they say nothing about other tenants' volume. */
export function newId (): number {
  return randomInt(1, 2 ** 48)
}

export function isUniqueViolation (error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** Runs `insert` with a fresh id; one already taken (about one in 2^48 / rows) is drawn again. */
export async function withFreshId<T> (insert: (id: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await insert(newId())
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error
    }
  }
}
