import type { Tenant } from '../store/types.js'
import type { PanelService } from '../upstream/types.js'

/** A tenant sees and orders only its allowed services (by id or category); no list means all. */
export function serviceAllowed (tenant: Tenant, service: PanelService): boolean {
  const allowed = tenant.allowedServices
  if (allowed === null) return true
  if (allowed.ids.includes(service.id)) return true
  const category = service.category.toLowerCase()
  return allowed.categories.some((c) => c.toLowerCase() === category)
}
