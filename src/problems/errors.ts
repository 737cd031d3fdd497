// Every error the gateway answers with: a stable machine `code`, its HTTP status
// and a title. Route code throws `new GatewayError(code, detail)`; the error
// handler (handler.ts, beside this file) renders it as RFC 9457 problem+json.

export const ERRORS = {
  // client errors
  validation_failed: { status: 400, title: 'Request validation failed' },
  bad_request: { status: 400, title: 'The request is not valid HTTP' },
  invalid_url: { status: 400, title: 'The URL cannot be decoded' },
  invalid_json: { status: 400, title: 'Request body is not valid JSON' },
  invalid_idempotency_key: { status: 400, title: 'Invalid Idempotency-Key header' },
  invalid_cursor: { status: 400, title: 'The page cursor is not valid for this listing' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  budget_exceeded: { status: 402, title: 'The order would exceed the tenant budget' },
  forbidden: { status: 403, title: 'Not allowed for this key' },
  not_found: { status: 404, title: 'Resource not found' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  request_timeout: { status: 408, title: 'The request was not received in time' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  uri_too_long: { status: 414, title: 'A path segment is too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  unknown_service: { status: 422, title: 'Unknown service' },
  missing_field: { status: 422, title: 'A field this service type needs is missing' },
  field_not_allowed: { status: 422, title: 'A field this service type does not take' },
  quantity_out_of_range: { status: 422, title: 'Quantity outside the service limits' },
  charge_unbounded: { status: 422, title: 'The charge of this order cannot be bounded, and this tenant has a budget' },
  invalid_drip_feed: { status: 422, title: 'Invalid drip-feed settings' },
  invalid_link: { status: 422, title: 'The panel rejected the link' },
  refill_not_allowed: { status: 422, title: 'Refill is not available for this order' },
  webhook_target_forbidden: { status: 422, title: 'The webhook URL is not an allowed receiver' },
  cancel_not_allowed: { status: 422, title: 'Cancel is not available for this order' },
  order_not_completed: { status: 409, title: 'The order is not completed yet' },
  order_outcome_unknown: { status: 409, title: 'Whether the order was placed is not known yet' },
  order_not_on_panel: { status: 409, title: 'The panel no longer knows this order by its id' },
  order_not_unknown: { status: 409, title: 'The order\'s outcome is not unknown' },
  panel_order_id_taken: { status: 409, title: 'Another order already holds this panel order id' },
  idempotency_in_flight: { status: 409, title: 'A request with this Idempotency-Key is still in flight' },
  idempotency_key_reused: { status: 422, title: 'This Idempotency-Key was used with another request' },
  duplicate_active_order: { status: 409, title: 'An active order for this link exists' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  // upstream (panel) failures
  upstream_insufficient_funds: { status: 402, title: 'The panel account has not enough funds' },
  upstream_auth_failed: { status: 502, title: 'The panel rejected the gateway credentials' },
  upstream_bad_request: { status: 422, title: 'The panel did not understand the request' },
  upstream_refused: { status: 422, title: 'The panel refused the request' },
  upstream_action_unsupported: { status: 501, title: 'The panel does not offer this action' },
  upstream_error: { status: 502, title: 'The panel answered with an error' },
  upstream_server_error: { status: 502, title: 'The panel failed with a server error' },
  upstream_html_response: { status: 502, title: 'The panel answered with an HTML page' },
  upstream_empty_response: { status: 502, title: 'The panel answered with an empty body' },
  upstream_invalid_response: { status: 502, title: 'The panel answered with an unexpected body' },
  upstream_outcome_unknown: { status: 502, title: 'The outcome of the panel call is unknown' },
  upstream_rate_limited: { status: 503, title: 'The panel is rate limiting the gateway' },
  upstream_unavailable: { status: 503, title: 'The panel is unreachable' },
  upstream_timeout: { status: 504, title: 'The panel did not answer in time' },
  upstream_overloaded: { status: 503, title: 'The gateway\'s queue to the panel is full' },
  overloaded: { status: 503, title: 'The gateway is overloaded' },
  rate_limit_unavailable: { status: 503, title: 'Rate limits cannot be checked (shared store unreachable)' },
  store_unavailable: { status: 503, title: 'The gateway\'s database is unavailable' },
  internal_error: { status: 500, title: 'Internal server error' }
} as const satisfies Record<string, { status: number, title: string }>

export type ErrorCode = keyof typeof ERRORS

export interface GatewayErrorOptions {
  cause?: unknown
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number
  /** Extra members of the problem document (e.g. validation `errors`). */
  extra?: Record<string, unknown>
  /** A write (`add`, `refill`, `cancel`) may have reached the panel: do not repeat it blindly. */
  outcomeUnknown?: boolean
  /**
   * The detail as the operator's log has it: the panel's full text (its URLs,
   * hosts, redirect targets), secrets scrubbed. Logged, never answered.
   */
  operatorDetail?: string
}

export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly title: string
  readonly retryAfter: number | undefined
  readonly extra: Record<string, unknown> | undefined
  readonly outcomeUnknown: boolean
  /** For the log only (see GatewayErrorOptions); toProblem never shows it. */
  readonly operatorDetail: string | undefined

  constructor (code: ErrorCode, detail?: string, options: GatewayErrorOptions = {}) {
    super(detail ?? ERRORS[code].title, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GatewayError'
    this.code = code
    this.statusCode = ERRORS[code].status
    this.title = ERRORS[code].title
    this.retryAfter = options.retryAfter
    this.extra = options.extra
    this.outcomeUnknown = options.outcomeUnknown ?? false
    this.operatorDetail = options.operatorDetail
  }

  get isUpstream (): boolean {
    return this.code.startsWith('upstream_')
  }
}

export const PROBLEM_TYPE_BASE = 'https://smm-gateway.dev/problems/'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  instance?: string
  [member: string]: unknown
}

export function toProblem (err: GatewayError, instance?: string): Problem {
  return {
    type: PROBLEM_TYPE_BASE + err.code.replaceAll('_', '-'),
    title: err.title,
    status: err.statusCode,
    detail: err.message,
    code: err.code,
    ...(instance === undefined ? {} : { instance }),
    ...err.extra
  }
}

/** A problem as one item of a bulk answer carries it (`{ id, error }`): code, status and detail. */
export function itemProblem (error: GatewayError = new GatewayError('internal_error')): { code: string, status: number, detail: string } {
  return { code: error.code, status: error.statusCode, detail: error.message }
}
