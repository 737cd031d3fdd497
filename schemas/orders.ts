import { Type, type Static } from 'typebox'
import { Id, IdList, IdParams, ItemError, Line, Lines, Money, errorResponses, ProblemRef } from './common.js'

export const ORDER_STATUSES = ['pending', 'in_progress', 'processing', 'completed', 'partial', 'canceled', 'refunded', 'failed', 'unknown'] as const

const Url = Line({
  maxLength: 2000,
  description: 'Target URL or handle the panel expects; every type needs it but Subscriptions, where it is optional ' +
    '(left out, the gateway sends `username` as the link, since some panels refuse a subscription without one)',
  examples: ['https://instagram.com/example']
})

export const NewOrder = Type.Object({
  service: Id,
  link: Type.Optional(Url),
  quantity: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 100000000,
    description: 'Units to order, within the service\'s `min`/`max` (a limit the catalog leaves null is the panel\'s to check). ' +
      'Required by the per-unit types (Default: per run with drip-feed). Optional for Package and Custom Comments Package: ' +
      'left out, the service\'s `min` is sent (1 when it has none). Optional for Custom Comments, Mentions Custom List and ' +
      'Comment Replies: it is the number of non-blank lines of `comments`/`usernames`, and one that differs is refused ' +
      '(`quantity_out_of_range`). The gateway sends a quantity for all of these types, as some panels require it. Subscriptions take none.',
    examples: [1000]
  })),
  runs: Type.Optional(Type.Integer({ minimum: 2, maximum: 10000, description: 'Drip-feed: number of runs; quantity is per run. Refused (`invalid_drip_feed`) for a service whose `dripfeed` is false; when it is null the panel decides' })),
  interval: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'Drip-feed: minutes between runs' })),
  keywords: Type.Optional(Lines('SEO: keywords, one per line')),
  comments: Type.Optional(Lines('Custom comments, one per line; for Custom Comments and Comment Replies their number is the quantity')),
  usernames: Type.Optional(Lines('Usernames, one per line; for Mentions Custom List their number is the quantity')),
  hashtags: Type.Optional(Lines('Hashtags, one per line')),
  hashtag: Type.Optional(Line({ maxLength: 200 })),
  username: Type.Optional(Line({ maxLength: 200 })),
  media: Type.Optional(Line({ maxLength: 2000, description: 'Media URL' })),
  answerNumber: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Poll: the answer to vote for' })),
  groups: Type.Optional(Lines('Groups, one per line')),
  country: Type.Optional(Line({ maxLength: 100, description: 'Web Traffic: country code or name' })),
  device: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: '1 desktop, 2 android, 3 iOS, 4 mixed mobile, 5 mixed' })),
  typeOfTraffic: Type.Optional(Type.Integer({ minimum: 1, maximum: 3, description: '1 google keyword, 2 custom referrer, 3 blank' })),
  googleKeyword: Type.Optional(Line({ maxLength: 500 })),
  referringUrl: Type.Optional(Line({ maxLength: 2000 })),
  min: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000000, description: 'Subscriptions: minimum quantity per post' })),
  max: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000000, description: 'Subscriptions: maximum quantity per post' })),
  posts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'Subscriptions: new posts limit' })),
  oldPosts: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, description: 'Subscriptions: old posts to include' })),
  delay: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, description: 'Subscriptions: minutes (0, 5, 10, 15, 30, 60, 90, …, 600)' })),
  expiry: Type.Optional(Type.String({ pattern: '^\\d{2}/\\d{2}/\\d{4}$', description: 'Subscriptions: d/m/Y', examples: ['31/12/2026'] }))
}, {
  additionalProperties: false,
  description: 'The service\'s type decides which fields are required (see the README\'s order types).',
  examples: [
    { service: 1, link: 'https://instagram.com/example', quantity: 1000 },
    { service: 19, link: 'https://instagram.com/example' },
    { service: 8, link: 'https://instagram.com/p/1', comments: 'Great shot!\nLove it\nWow', quantity: 3 },
    { service: 18, link: 'https://instagram.com/example', username: 'example', min: 50, max: 100, delay: 0, posts: 10 }
  ]
})
export type NewOrderT = Static<typeof NewOrder>

const PanelOrderId = Type.Integer({ minimum: 1, description: 'The panel\'s own id for this order (for support with the panel); not an id this API takes' })

export const PlacedOrder = Type.Object({
  id: Id,
  panelOrderId: PanelOrderId,
  service: Id,
  status: Type.Literal('pending'),
  quantity: Type.Union([Type.Integer(), Type.Null()], { description: 'Total units ordered (runs × quantity for drip-feed; for packages the quantity sent, given or derived); null for Subscriptions' }),
  estimatedCharge: Type.Union([Money, Type.Null()], { description: 'From the catalog rate; the panel reports the real charge' })
})

export const OrderStatus = Type.Enum(ORDER_STATUSES, { description: 'Normalised status; `unknown`: the panel may or may not have placed it (its answer was lost) until an operator resolves it' })

export const Order = Type.Object({
  id: Id,
  panelOrderId: Type.Union([PanelOrderId, Type.Null()], { description: 'The panel\'s own id; null while the outcome is unknown' }),
  service: Id,
  status: OrderStatus,
  upstreamStatus: Type.Union([Type.String(), Type.Null()], { description: 'The panel\'s own status string; null until the panel was asked', examples: ['In progress'] }),
  charge: Type.Union([Money, Type.Null()]),
  startCount: Type.Union([Type.Integer(), Type.Null()]),
  remains: Type.Union([Type.Integer(), Type.Null()], { description: 'Can be negative when the provider over-delivers' }),
  currency: Type.Union([Type.String(), Type.Null()]),
  runs: Type.Optional(Type.Integer()),
  posts: Type.Optional(Type.Integer()),
  panelChildOrders: Type.Optional(Type.Array(Type.Integer(), { description: 'The panel\'s ids of the child orders of a drip-feed or subscription order' })),
  quantity: Type.Union([Type.Integer(), Type.Null()], { description: 'Total units ordered' }),
  estimatedCharge: Type.Union([Money, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' })
})
export type OrderT = Static<typeof Order>

export const OrderItem = Type.Union([
  Order,
  Type.Object({ id: Id, error: ItemError })
])

/** A page cursor: opaque, only ever a previous page's `nextCursor` (what is wrong with one is `invalid_cursor`). */
export const Cursor = Type.String({
  minLength: 1,
  maxLength: 200,
  description: '`nextCursor` of the previous page of this same listing and filter. Opaque: do not build or parse one. ' +
    'One that is malformed, altered, from another listing or filter, or from another tenant is refused with `invalid_cursor` (400).'
})

export const OrdersQuery = Type.Object({
  ids: Type.Optional(IdList),
  status: Type.Optional(OrderStatus),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  cursor: Type.Optional(Cursor)
}, { additionalProperties: false })

export const IdsBody = Type.Object({
  orders: Type.Array(Id, { minItems: 1, maxItems: 1000, uniqueItems: true })
}, { additionalProperties: false, examples: [{ orders: [23501, 23502] }] })

export const placeOrderSchema = {
  tags: ['orders'],
  summary: 'Place an order',
  description: 'Validated against the service (type fields, min/max) before the panel is called.',
  body: NewOrder,
  response: { 201: PlacedOrder, ...errorResponses, 402: ProblemRef, 409: ProblemRef, 415: ProblemRef, 422: ProblemRef }
}

export const getOrderSchema = {
  tags: ['orders'],
  summary: 'Status of one order',
  params: IdParams,
  response: { 200: Order, ...errorResponses }
}

export const listOrdersSchema = {
  tags: ['orders'],
  summary: 'Your orders, or the status of many',
  description: 'With `ids`: their live status, batched into panel calls of at most 100 ids; an id that fails has its error in its item. ' +
    'Without: your orders from the store, newest first, filtered by `status`, paged with `cursor`.',
  querystring: OrdersQuery,
  response: {
    200: Type.Object({
      items: Type.Array(OrderItem),
      nextCursor: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last' }))
    }),
    ...errorResponses
  }
}

export const CancelResult = Type.Object({
  id: Id,
  cancelRequested: Type.Literal(true)
})

export const cancelOrderSchema = {
  tags: ['cancels'],
  summary: 'Ask the panel to cancel an order',
  params: IdParams,
  response: { 202: CancelResult, ...errorResponses, 409: ProblemRef, 422: ProblemRef }
}

export const cancelOrdersSchema = {
  tags: ['cancels'],
  summary: 'Ask the panel to cancel many orders',
  body: IdsBody,
  response: {
    200: Type.Object({ items: Type.Array(Type.Union([CancelResult, Type.Object({ id: Id, error: ItemError })])) }),
    ...errorResponses,
    415: ProblemRef
  }
}
