import { Type, type Static } from 'typebox'
import { Id, errorResponses } from './common.js'

export const Service = Type.Object({
  id: Id,
  name: Type.String({ examples: ['Instagram Followers [Refill 30D]'] }),
  type: Type.String({ description: 'Order type in the gateway\'s vocabulary (`Default`, `Custom Comments`, …) whatever the panel writes (`custom_comments`, `CUSTOM-COMMENTS`); decides which order fields are needed. A type the gateway does not know keeps the panel\'s spelling', examples: ['Custom Comments'] }),
  panelType: Type.String({ description: 'The type as the panel spells it', examples: ['custom_comments'] }),
  category: Type.String({ examples: ['Instagram Followers'] }),
  rate: Type.String({ description: 'Price per 1000 units (per package for package types), decimal string', examples: ['0.9'] }),
  min: Type.Union([Type.Integer(), Type.Null()], { description: 'Smallest quantity; null when the panel does not state one', examples: [50] }),
  max: Type.Union([Type.Integer(), Type.Null()], { description: 'Largest quantity; null when the panel does not state one', examples: [10000] }),
  refill: Type.Union([Type.Boolean(), Type.Null()], { description: 'Orders of this service can be refilled; null when the panel does not say (the panel decides when asked)' }),
  cancel: Type.Union([Type.Boolean(), Type.Null()], { description: 'Orders of this service can be canceled; null when the panel does not say' }),
  dripfeed: Type.Union([Type.Boolean(), Type.Null()], { description: 'Orders of this service take drip-feed (`runs`, `interval`); null when the panel does not say' }),
  description: Type.Optional(Type.String())
})
export type ServiceT = Static<typeof Service>

export const ServicesQuery = Type.Object({
  category: Type.Optional(Type.String({ maxLength: 200, description: 'Exact category name (case-insensitive)' })),
  type: Type.Optional(Type.String({
    maxLength: 100,
    description: 'Order type, canonical or as the panel spells it; case, spaces, `_` and `-` do not matter ' +
      '(`custom_comments`, `Custom Comments` and `custom comments` all match `type` Custom Comments)'
  })),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Words that must all appear in the name (case-insensitive)' })),
  refill: Type.Optional(Type.Boolean({ description: '`true`: services that state refill is available; `false`: services that state it is not. A service whose panel does not say (`refill: null`) matches neither' })),
  cancel: Type.Optional(Type.Boolean({ description: '`true`: services that state cancel is available; `false`: services that state it is not. A service whose panel does not say (`cancel: null`) matches neither' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 })
}, { additionalProperties: false })
export type ServicesQueryT = Static<typeof ServicesQuery>

export const ServiceList = Type.Object({
  items: Type.Array(Service),
  total: Type.Integer({ description: 'Matching services before paging' })
})

export const Category = Type.Object({
  name: Type.String(),
  serviceCount: Type.Integer()
})

export const CategoryList = Type.Object({ items: Type.Array(Category) })

export const listServicesSchema = {
  tags: ['services'],
  summary: 'List the service catalog',
  description: 'Served from a cache; answers 304 when `If-None-Match` matches the `ETag`.',
  querystring: ServicesQuery,
  response: { 200: ServiceList, 304: Type.Null({ description: 'Not modified' }), ...errorResponses }
}

export const getServiceSchema = {
  tags: ['services'],
  summary: 'One service',
  params: Type.Object({ id: Id }),
  response: { 200: Service, ...errorResponses }
}

export const listCategoriesSchema = {
  tags: ['services'],
  summary: 'Service categories with their service counts',
  response: { 200: CategoryList, ...errorResponses }
}
