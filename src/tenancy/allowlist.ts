import { admitsService } from '../store/events.js'
import type { Tenant } from '../store/types.js'
import type { PanelService } from '../upstream/types.js'

/** A tenant sees and orders only its allowed services (by id or category); no list means all. */
export function serviceAllowed (tenant: Tenant, service: PanelService): boolean {
  return admitsService(tenant.allowedServices, service)
}
