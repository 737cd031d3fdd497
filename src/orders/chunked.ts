import { GatewayError } from '../problems/errors.js'
import type { ItemResult } from '../upstream/types.js'
import { isRefusal } from '../upstream/verdict.js'

export const PANEL_BATCH = 100

/**
 * Runs a panel multi call over any number of ids, 100 at a time and in
 * parallel. A chunk that fails as a whole gives each of its ids that error.
 */
export async function chunked<T> (
  ids: number[],
  call: (chunk: number[]) => Promise<Map<number, ItemResult<T>>>
): Promise<Map<number, ItemResult<T>>> {
  const unique = [...new Set(ids)]
  const chunks: number[][] = []
  for (let i = 0; i < unique.length; i += PANEL_BATCH) chunks.push(unique.slice(i, i + PANEL_BATCH))
  const answers = await Promise.all(chunks.map(async (chunk) => {
    try {
      return await call(chunk)
    } catch (error) {
      const failed = { ok: false as const, error: error instanceof GatewayError ? error : new GatewayError('internal_error', undefined, { cause: error }) }
      return new Map(chunk.map((id) => [id, failed]))
    }
  }))
  const merged = new Map<number, ItemResult<T>>()
  for (const answer of answers) for (const [id, result] of answer) merged.set(id, result)
  return merged
}

/**
 * When every item failed because of the panel itself or because it lacks the
 * action (not per-item refusals such as an unknown id), the request failed:
 * answer that as a problem, not as data.
 */
export function throwIfPanelFailed<T> (results: Map<number, ItemResult<T>>): void {
  let first: GatewayError | undefined
  for (const result of results.values()) {
    if (result.ok || (isRefusal(result.error) && result.error.code !== 'upstream_action_unsupported')) return
    first ??= result.error
  }
  if (first !== undefined) throw first
}

/** `"1, 2,3,"` → [1, 2, 3], at most `max` distinct ids. */
export function parseIds (list: string, max = 1000): number[] {
  const ids = [...new Set(list.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number))]
  if (ids.some((id) => !Number.isSafeInteger(id) || id < 1)) {
    throw new GatewayError('validation_failed', 'ids must be positive integers')
  }
  if (ids.length > max) throw new GatewayError('validation_failed', `At most ${max} ids per request`)
  return ids
}
