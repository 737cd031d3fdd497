import { Type, type Static } from 'typebox'
import { Id, IdParams, Money, errorResponses, ProblemRef } from './common.js'

export const SCOPES = ['services:read', 'orders:read', 'orders:write', 'refills:write', 'cancels:write', 'balance:read'] as const

const Scopes = Type.Array(Type.Enum(SCOPES), { uniqueItems: true, description: 'The scopes the tenant\'s keys have' })
const NewScopes = Type.Array(Type.Enum(SCOPES), {
  uniqueItems: true,
  description: 'Default: every scope but balance:read. The panel balance is shared by all tenants, so letting a tenant see it (and so the others\' spending) is the operator\'s choice: grant balance:read explicitly.'
})
// Input only (Money, which the panel's charges use, may be negative and unbounded):
// bounded so that every accepted budget fits the store (src/store/money.ts:
// INPUT_INTEGER_DIGITS and SCALE; test/store/budget.test.ts holds them equal).
const Budget = Type.String({
  pattern: '^\\d{1,10}(\\.\\d{1,8})?$',
  description: 'Non-negative decimal amount as a string: at most 10 integer digits and 8 decimals',
  examples: ['50.00']
})
const NullableBudget = Type.Union([Budget, Type.Null()], { description: 'In the panel currency; null: no budget' })
const AllowedServices = Type.Union([
  Type.Object({
    ids: Type.Array(Id, { maxItems: 10000 }),
    categories: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })
  }, { additionalProperties: false }),
  Type.Null()
], { description: 'Services the tenant sees and may order (by id or category); null: all' })
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })
const RateLimit = Type.Union([Type.Integer({ minimum: 1, maximum: 1000000 }), Type.Null()], { description: 'Requests a minute; null: the gateway default' })

export const Tenant = Type.Object({
  id: Id,
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  rateLimitPerMinute: Type.Union([Type.Integer(), Type.Null()]),
  dailyBudget: Type.Union([Money, Type.Null()]),
  monthlyBudget: Type.Union([Money, Type.Null()]),
  allowedServices: Type.Union([Type.Object({ ids: Type.Array(Id), categories: Type.Array(Type.String()) }), Type.Null()]),
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' })
})

export const NewTenantBody = Type.Object({
  name: Name,
  scopes: Type.Optional(NewScopes),
  rateLimitPerMinute: Type.Optional(RateLimit),
  dailyBudget: Type.Optional(NullableBudget),
  monthlyBudget: Type.Optional(NullableBudget),
  allowedServices: Type.Optional(AllowedServices)
}, { additionalProperties: false, examples: [{ name: 'billing-app', scopes: ['services:read', 'orders:read', 'orders:write'], dailyBudget: '50.00' }] })
export type NewTenantBodyT = Static<typeof NewTenantBody>

export const TenantPatchBody = Type.Object({
  name: Type.Optional(Name),
  scopes: Type.Optional(Scopes),
  rateLimitPerMinute: Type.Optional(RateLimit),
  dailyBudget: Type.Optional(NullableBudget),
  monthlyBudget: Type.Optional(NullableBudget),
  allowedServices: Type.Optional(AllowedServices),
  disabled: Type.Optional(Type.Boolean())
}, { additionalProperties: false, minProperties: 1 })

export const IssuedKey = Type.Object({
  id: Id,
  key: Type.String({ description: 'Shown this once; only its hash is stored' }),
  prefix: Type.String(),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
})

export const KeyInfo = Type.Object({
  id: Id,
  tenantId: Id,
  prefix: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Last accepted request, to the minute; null: never used' })
})

export const adminErrors = { ...errorResponses, 415: ProblemRef, 422: ProblemRef }

export const createTenantSchema = {
  tags: ['admin'],
  summary: 'Create a tenant and its first key',
  security: [{ adminToken: [] }],
  body: NewTenantBody,
  response: { 201: Type.Object({ tenant: Tenant, key: Type.String({ description: 'Shown this once' }), keyId: Id }), ...adminErrors }
}

export const listTenantsSchema = {
  tags: ['admin'],
  summary: 'List tenants',
  security: [{ adminToken: [] }],
  querystring: Type.Object({
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Tenants with a larger id' }))
  }, { additionalProperties: false }),
  response: { 200: Type.Object({ items: Type.Array(Tenant) }), ...adminErrors }
}

export const getTenantSchema = {
  tags: ['admin'],
  summary: 'One tenant',
  security: [{ adminToken: [] }],
  params: IdParams,
  response: { 200: Tenant, ...adminErrors }
}

export const patchTenantSchema = {
  tags: ['admin'],
  summary: 'Change a tenant (disabled: true refuses all its keys)',
  security: [{ adminToken: [] }],
  params: IdParams,
  body: TenantPatchBody,
  response: { 200: Tenant, ...adminErrors }
}

export const issueKeySchema = {
  tags: ['admin'],
  summary: 'Issue another key for a tenant (rotation)',
  security: [{ adminToken: [] }],
  params: IdParams,
  body: Type.Optional(Type.Object({
    expiresAt: Type.Optional(Type.String({ format: 'date-time' }))
  }, { additionalProperties: false })),
  response: { 201: IssuedKey, ...adminErrors }
}

export const listKeysSchema = {
  tags: ['admin'],
  summary: 'A tenant\'s keys, without secrets',
  security: [{ adminToken: [] }],
  params: IdParams,
  response: { 200: Type.Object({ items: Type.Array(KeyInfo) }), ...adminErrors }
}

export const revokeKeySchema = {
  tags: ['admin'],
  summary: 'Revoke a key: refused from the next request on',
  security: [{ adminToken: [] }],
  params: IdParams,
  response: { 204: Type.Null(), ...adminErrors }
}

export const Usage = Type.Object({
  days: Type.Array(Type.Object({ day: Type.String({ examples: ['2026-11-26'] }), orders: Type.Integer(), spend: Money })),
  months: Type.Array(Type.Object({ month: Type.String({ examples: ['2026-11'] }), orders: Type.Integer(), spend: Money }))
})

export const usageSchema = {
  tags: ['admin'],
  summary: 'Orders and spend per day and month',
  security: [{ adminToken: [] }],
  params: IdParams,
  querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }) }, { additionalProperties: false }),
  response: { 200: Usage, ...adminErrors }
}

export const meSchema = {
  tags: ['tenant'],
  summary: 'The calling tenant: scopes, limits, spend',
  response: {
    200: Type.Object({
      tenant: Type.Object({ id: Id, name: Type.String() }),
      keyId: Id,
      scopes: Type.Array(Type.String()),
      rateLimitPerMinute: Type.Integer(),
      dailyBudget: Type.Union([Money, Type.Null()]),
      monthlyBudget: Type.Union([Money, Type.Null()]),
      spend: Type.Object({ today: Money, month: Money }),
      allowedServices: Type.Union([Type.Object({ ids: Type.Array(Id), categories: Type.Array(Type.String()) }), Type.Null()])
    }),
    ...errorResponses
  }
}
