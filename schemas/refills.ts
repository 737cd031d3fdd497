import { Type } from 'typebox'
import { Id, IdList, IdParams, ItemError, errorResponses, ProblemRef } from './common.js'
import { IdsBody } from './orders.js'

export const REFILL_STATUSES = ['pending', 'in_progress', 'completed', 'rejected', 'failed'] as const

const PanelRefillId = Type.Integer({ minimum: 1, description: 'The panel\'s own id for this refill (for support with the panel); not an id this API takes' })

export const Refill = Type.Object({
  id: Id,
  order: Id,
  panelRefillId: PanelRefillId
})

export const RefillStatus = Type.Object({
  id: Id,
  order: Id,
  panelRefillId: PanelRefillId,
  status: Type.Enum(REFILL_STATUSES, { description: 'Normalised status' }),
  upstreamStatus: Type.String({ examples: ['Completed'] })
})

export const refillOrderSchema = {
  tags: ['refills'],
  summary: 'Request a refill of an order',
  params: IdParams,
  response: { 201: Refill, ...errorResponses, 409: ProblemRef, 422: ProblemRef }
}

export const refillOrdersSchema = {
  tags: ['refills'],
  summary: 'Request refills of many orders',
  body: IdsBody,
  response: {
    200: Type.Object({ items: Type.Array(Type.Union([Refill, Type.Object({ order: Id, error: ItemError })])) }),
    ...errorResponses,
    415: ProblemRef
  }
}

export const getRefillSchema = {
  tags: ['refills'],
  summary: 'Status of one refill',
  params: IdParams,
  response: { 200: RefillStatus, ...errorResponses }
}

export const listRefillsSchema = {
  tags: ['refills'],
  summary: 'Status of many refills',
  querystring: Type.Object({ ids: IdList }, { additionalProperties: false }),
  response: {
    200: Type.Object({ items: Type.Array(Type.Union([RefillStatus, Type.Object({ id: Id, error: ItemError })])) }),
    ...errorResponses
  }
}
