import { Type } from 'typebox'
import { errorResponses } from './common.js'
import { adminErrors } from './admin.js'
import { Cursor } from './orders.js'

export const EventBody = Type.Object({
  id: Type.String({ description: 'Event id (`evt_…`), unique; a receiver deduplicates on it' }),
  type: Type.String({ examples: ['order.status_changed'] }),
  createdAt: Type.String({ format: 'date-time' }),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'What happened; its shape depends on `type`' })
})

export const EventsQuery = Type.Object({
  after: Type.Optional(Cursor),
  types: Type.Optional(Type.String({
    maxLength: 500,
    description: 'Comma-separated event types to list (default: all): order.created, order.status_changed, order.completed, order.partial, ' +
      'order.canceled, order.unknown, refill.status_changed, service.changed, service.added, service.removed, balance.low, webhook.disabled. ' +
      'An unknown type is a validation error. A cursor pages only the filter it was given with.',
  })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 })
}, { additionalProperties: false })

const FeedPage = Type.Object({
  items: Type.Array(EventBody),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `after` to read on. The feed is tailed: this is set to the last item\'s cursor whenever the page has items, ' +
      'also on the last page, so polling with it later returns the events that came since. An empty page echoes the `after` given ' +
      '(null when none was given and there are no events).'
  })
})

export const listEventsSchema = {
  tags: ['events'],
  summary: 'Your event feed, oldest first',
  description: 'Events about your orders and refills, and the panel events (catalog changes, low balance) your scopes and allowed services admit. ' +
    'Retained for EVENTS_RETENTION_DAYS.',
  querystring: EventsQuery,
  response: { 200: FeedPage, ...errorResponses }
}

export const listAdminEventsSchema = {
  tags: ['admin'],
  summary: 'Every event, across tenants, oldest first',
  security: [{ adminToken: [] }],
  querystring: EventsQuery,
  response: { 200: FeedPage, ...adminErrors }
}
