import { GatewayError, type ErrorCode } from '../problems/errors.js'

/**
 * What a settled panel call says about the panel, shared by every tenant:
 *
 * - `failure`: the panel did not answer properly — unanswered or cut calls,
 *   5xx, 429 (or its own "too many requests"), bodies that cannot be read;
 * - `credentials`: it refused the gateway's own key: the operator's problem,
 *   and every call fails the same way until PANEL_KEY is fixed;
 * - `refusal`: it understood and said no (any error body, any wording): the
 *   calling tenant's problem, and proof the panel is alive;
 * - `neutral`: the call never got a verdict from the panel (our queue, our bug).
 */
export type Verdict = 'success' | 'failure' | 'credentials' | 'refusal' | 'neutral'

export const PANEL_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'upstream_unavailable', 'upstream_timeout', 'upstream_server_error', 'upstream_html_response',
  'upstream_empty_response', 'upstream_invalid_response', 'upstream_rate_limited', 'upstream_error'
])

// Decided on our side before or instead of the panel's answer.
const GATEWAY_SIDE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['upstream_overloaded', 'upstream_outcome_unknown', 'internal_error'])

export function verdictOf (err: unknown): Verdict {
  if (!(err instanceof GatewayError)) return 'neutral'
  if (err.code === 'upstream_auth_failed') return 'credentials'
  if (PANEL_FAILURES.has(err.code)) return 'failure'
  if (GATEWAY_SIDE.has(err.code)) return 'neutral'
  return 'refusal'
}

/** The panel understood this request and said no to it. */
export function isRefusal (err: unknown): err is GatewayError {
  return verdictOf(err) === 'refusal'
}
