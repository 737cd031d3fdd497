import { Type } from 'typebox'
import { Id, IdParams, Money } from './common.js'
import { adminErrors } from './admin.js'
import { Cursor } from './orders.js'

const STATES = ['reserved', 'sending', 'placed', 'rejected', 'failed', 'unknown'] as const

export const LedgerOrder = Type.Object({
  id: Id,
  tenantId: Id,
  state: Type.Enum(STATES, { description: 'Where the order is on the money path' }),
  panelOrderId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  service: Id,
  request: Type.Record(Type.String(), Type.Unknown(), { description: 'The order as the tenant sent it: what to look for on the panel' }),
  quantity: Type.Union([Type.Integer(), Type.Null()]),
  estimatedCharge: Type.Union([Money, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' })
})

export const listLedgerOrdersSchema = {
  tags: ['admin'],
  summary: 'Orders in one state across tenants (default: unknown outcomes, for an operator to resolve)',
  security: [{ adminToken: [] }],
  querystring: Type.Object({
    state: Type.Enum(STATES, { default: 'unknown' }),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    cursor: Type.Optional(Cursor)
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({ items: Type.Array(LedgerOrder), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
    ...adminErrors
  }
}

export const Resolution = Type.Union([
  Type.Object({
    outcome: Type.Literal('placed'),
    panelOrderId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The order id found on the panel' })
  }, { additionalProperties: false }),
  Type.Object({ outcome: Type.Literal('not_placed') }, { additionalProperties: false })
], { examples: [{ outcome: 'placed', panelOrderId: 23501 }, { outcome: 'not_placed' }] })

export const resolveOrderSchema = {
  tags: ['admin'],
  summary: 'Resolve an order whose outcome is unknown: placed (with the panel\'s order id) or not_placed (releases its budget)',
  security: [{ adminToken: [] }],
  params: IdParams,
  body: Resolution,
  response: { 200: LedgerOrder, ...adminErrors }
}
