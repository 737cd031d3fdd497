import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SYSTEM_CLOCK, type Clock } from '../src/clock.js'
import { GatewayError } from '../src/problems/errors.js'
import { createTenant, issueKey, publicKey } from '../src/tenancy/admin.js'
import type { Tenant } from '../src/store/types.js'
import {
  createTenantSchema, getTenantSchema, issueKeySchema, listKeysSchema, listTenantsSchema, patchTenantSchema,
  revokeKeySchema, usageSchema
} from '../schemas/admin.js'

export function tenantJson (t: Tenant): Omit<Tenant, 'createdAt' | 'updatedAt'> & { createdAt: string, updatedAt: string } {
  return { ...t, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() }
}

export interface AdminOptions {
  /** The wall clock a new key's expiry must lie beyond. */
  clock?: Clock
}

/** Tenants and keys, behind ADMIN_TOKEN (registered only when it is set). */
const admin: FastifyPluginAsyncTypebox<AdminOptions> = async (app, { clock = SYSTEM_CLOCK }) => {
  const config = { admin: true }

  async function tenantOr404 (id: number): Promise<Tenant> {
    const tenant = await app.store.getTenant(id)
    if (tenant === undefined) throw new GatewayError('not_found', `Tenant ${id} does not exist`)
    return tenant
  }

  app.post('/admin/tenants', { schema: createTenantSchema, config }, async (request, reply) => {
    const { tenant, key } = await createTenant(app.store, request.body, app.authenticator)
    request.log.info({ tenant: tenant.id, keyId: key.id }, 'tenant created')
    return await reply.code(201).header('location', `/admin/tenants/${tenant.id}`)
      .send({ tenant: tenantJson(tenant), key: key.key, keyId: key.id })
  })

  app.get('/admin/tenants', { schema: listTenantsSchema, config }, async (request) => {
    const tenants = await app.store.listTenants({ limit: request.query.limit, after: request.query.after })
    return { items: tenants.map(tenantJson) }
  })

  app.get('/admin/tenants/:id', { schema: getTenantSchema, config }, async (request) => {
    return tenantJson(await tenantOr404(request.params.id))
  })

  app.patch('/admin/tenants/:id', { schema: patchTenantSchema, config }, async (request) => {
    const tenant = await app.store.updateTenant(request.params.id, request.body)
    if (tenant === undefined) throw new GatewayError('not_found', `Tenant ${request.params.id} does not exist`)
    app.authenticator.invalidateTenant(tenant.id)
    request.log.info({ tenant: tenant.id, fields: Object.keys(request.body) }, 'tenant changed')
    return tenantJson(tenant)
  })

  app.post('/admin/tenants/:id/keys', { schema: issueKeySchema, config }, async (request, reply) => {
    const expiresAt = request.body?.expiresAt === undefined ? null : new Date(request.body.expiresAt)
    const key = await issueKey(app.store, request.params.id, expiresAt, clock, app.authenticator)
    request.log.info({ tenant: request.params.id, keyId: key.id }, 'key issued')
    return await reply.code(201).send({ ...key, expiresAt: key.expiresAt?.toISOString() ?? null })
  })

  app.get('/admin/tenants/:id/keys', { schema: listKeysSchema, config }, async (request) => {
    await tenantOr404(request.params.id)
    return { items: (await app.store.listKeys(request.params.id)).map(publicKey) }
  })

  app.delete('/admin/keys/:id', { schema: revokeKeySchema, config }, async (request, reply) => {
    const key = await app.store.revokeKey(request.params.id)
    if (key === undefined) throw new GatewayError('not_found', `Key ${request.params.id} does not exist`)
    app.authenticator.invalidateKey(key.id)
    request.log.info({ keyId: key.id, tenant: key.tenantId }, 'key revoked')
    return await reply.code(204).send(null)
  })

  app.get('/admin/tenants/:id/usage', { schema: usageSchema, config }, async (request) => {
    await tenantOr404(request.params.id)
    return await app.store.usage(request.params.id, { days: request.query.days })
  })
}

export default admin
