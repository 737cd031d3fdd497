import type { Selectable, Updateable } from 'kysely'
import { iso, toBool, toDate, toNumber, toNumberOrNull, type StoreContext, type TenantsTable } from './db.js'
import { withFreshId } from './ids.js'
import { fromUnitsOrNull, toUnitsOrNull } from './money.js'
import type { AllowedServices, NewTenant, Scope, Tenant, TenantPatch } from './types.js'

function toTenant (ctx: StoreContext, row: Selectable<TenantsTable>): Tenant {
  return {
    id: toNumber(row.id),
    name: row.name,
    scopes: ctx.json(row.scopes) as Scope[],
    rateLimitPerMinute: toNumberOrNull(row.rate_limit_per_minute),
    dailyBudget: fromUnitsOrNull(row.daily_budget),
    monthlyBudget: fromUnitsOrNull(row.monthly_budget),
    allowedServices: row.allowed_services === null ? null : ctx.json(row.allowed_services) as AllowedServices,
    disabled: toBool(row.disabled),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at)
  }
}

function allowedServicesJson (value: AllowedServices | null | undefined): string | null {
  return value === null || value === undefined ? null : JSON.stringify({ ids: value.ids, categories: value.categories })
}

export async function createTenant (ctx: StoreContext, t: NewTenant, now = new Date()): Promise<Tenant> {
  // A random id, like an order's: a tenant's own id must not tell how many tenants came before it.
  const row = await withFreshId(async (id) => await ctx.db.insertInto('tenants')
    .values({
      id,
      name: t.name,
      scopes: JSON.stringify(t.scopes),
      rate_limit_per_minute: t.rateLimitPerMinute ?? null,
      daily_budget: toUnitsOrNull(t.dailyBudget),
      monthly_budget: toUnitsOrNull(t.monthlyBudget),
      allowed_services: allowedServicesJson(t.allowedServices),
      disabled: ctx.bool(false),
      created_at: iso(now),
      updated_at: iso(now)
    })
    .returningAll()
    .executeTakeFirstOrThrow())
  return toTenant(ctx, row)
}

export async function getTenant (ctx: StoreContext, id: number): Promise<Tenant | undefined> {
  const row = await ctx.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : toTenant(ctx, row)
}

export async function listTenants (ctx: StoreContext, page: { limit: number, after?: number }): Promise<Tenant[]> {
  let query = ctx.db.selectFrom('tenants').selectAll().orderBy('id').limit(page.limit)
  if (page.after !== undefined) query = query.where('id', '>', page.after)
  return (await query.execute()).map((row) => toTenant(ctx, row))
}

export async function updateTenant (ctx: StoreContext, id: number, patch: TenantPatch, now = new Date()): Promise<Tenant | undefined> {
  const set: Updateable<TenantsTable> = { updated_at: iso(now) }
  if (patch.name !== undefined) set.name = patch.name
  if (patch.scopes !== undefined) set.scopes = JSON.stringify(patch.scopes)
  if (patch.rateLimitPerMinute !== undefined) set.rate_limit_per_minute = patch.rateLimitPerMinute
  if (patch.dailyBudget !== undefined) set.daily_budget = toUnitsOrNull(patch.dailyBudget)
  if (patch.monthlyBudget !== undefined) set.monthly_budget = toUnitsOrNull(patch.monthlyBudget)
  if (patch.allowedServices !== undefined) set.allowed_services = allowedServicesJson(patch.allowedServices)
  if (patch.disabled !== undefined) set.disabled = ctx.bool(patch.disabled)
  const row = await ctx.db.updateTable('tenants').set(set).where('id', '=', id).returningAll().executeTakeFirst()
  return row === undefined ? undefined : toTenant(ctx, row)
}
