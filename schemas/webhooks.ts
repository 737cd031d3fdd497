import { Type } from 'typebox'
import { Id, IdParams, ProblemRef, errorResponses } from './common.js'

export const WEBHOOK_EVENT_TYPES = [
  'order.created', 'order.status_changed', 'order.completed', 'order.partial', 'order.canceled', 'order.unknown',
  'refill.status_changed', 'service.changed', 'service.added', 'service.removed', 'balance.low', 'webhook.disabled'
] as const

const EventFilter = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[a-z_]+(\\.([a-z_]+|\\*))?$',
  description: 'An event type (`order.completed`) or a family (`order.*`)',
  examples: ['order.*']
})

const Events = Type.Union([Type.Array(EventFilter, { minItems: 1, maxItems: 50 }), Type.Null()], {
  description: 'The event types this endpoint receives; null or absent: every type'
})

const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'The receiver: https, public', examples: ['https://example.com/hooks/smm'] })

export const WebhookEndpoint = Type.Object({
  id: Id,
  url: Type.String(),
  events: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null: every type' }),
  enabled: Type.Boolean(),
  failingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Its deliveries have failed since then without a success' }),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' })
})

const Secret = Type.String({ description: 'The signing secret (Standard Webhooks, `whsec_…`): shown only once', examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] })

const Attempt = Type.Object({
  attempt: Type.Integer(),
  status: Type.Union([Type.Integer(), Type.Null()], { description: 'The receiver\'s HTTP status; null: no answer' }),
  error: Type.Union([Type.String(), Type.Null()]),
  excerpt: Type.Union([Type.String(), Type.Null()], { description: 'The start of the receiver\'s answer (at most 256 characters)' }),
  durationMs: Type.Integer(),
  at: Type.String({ format: 'date-time' })
})

const Delivery = Type.Object({
  id: Id,
  eventId: Type.String(),
  eventType: Type.String(),
  state: Type.Enum(['pending', 'succeeded', 'failed']),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  attemptsLog: Type.Array(Attempt)
})

const errors = { ...errorResponses, 422: ProblemRef }

export const createWebhookSchema = {
  tags: ['webhooks'],
  summary: 'Register a webhook endpoint',
  description: 'Events are POSTed as JSON, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). ' +
    'The URL must be https and resolve to public addresses only (`webhook_target_forbidden`).',
  body: Type.Object({ url: Url, events: Type.Optional(Events) }, { additionalProperties: false }),
  response: { 201: Type.Object({ ...WebhookEndpoint.properties, secret: Secret }), ...errors, 415: ProblemRef }
}

export const listWebhooksSchema = {
  tags: ['webhooks'],
  summary: 'List webhook endpoints',
  response: { 200: Type.Object({ items: Type.Array(WebhookEndpoint) }), ...errorResponses }
}

export const getWebhookSchema = {
  tags: ['webhooks'],
  summary: 'One webhook endpoint',
  params: IdParams,
  response: { 200: WebhookEndpoint, ...errorResponses }
}

export const patchWebhookSchema = {
  tags: ['webhooks'],
  summary: 'Change a webhook endpoint (enabled: true re-enables a disabled one)',
  params: IdParams,
  body: Type.Object({ url: Type.Optional(Url), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  response: { 200: WebhookEndpoint, ...errors, 415: ProblemRef }
}

export const deleteWebhookSchema = {
  tags: ['webhooks'],
  summary: 'Remove a webhook endpoint',
  params: IdParams,
  response: { 204: Type.Null(), ...errorResponses }
}

export const rotateSecretSchema = {
  tags: ['webhooks'],
  summary: 'Rotate an endpoint\'s signing secret',
  description: 'Until `previousSecretExpiresAt` deliveries carry signatures by both the new and the previous secret.',
  params: IdParams,
  response: { 200: Type.Object({ secret: Secret, previousSecretExpiresAt: Type.String({ format: 'date-time' }) }), ...errorResponses }
}

export const listDeliveriesSchema = {
  tags: ['webhooks'],
  summary: 'An endpoint\'s deliveries, newest first, with their attempts',
  params: IdParams,
  querystring: Type.Object({
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '`nextCursor` of the previous page' }))
  }),
  response: {
    200: Type.Object({ items: Type.Array(Delivery), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
    ...errorResponses
  }
}

export const replaySchema = {
  tags: ['webhooks'],
  summary: 'Deliver failed deliveries again',
  description: 'Failed deliveries created since `since` are queued again now.',
  params: IdParams,
  querystring: Type.Object({ since: Type.String({ format: 'date-time', description: 'ISO date-time' }) }),
  response: { 200: Type.Object({ replayed: Type.Integer() }), ...errorResponses }
}
