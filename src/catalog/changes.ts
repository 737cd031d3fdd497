import type { CatalogSnapshot } from './catalog.js'
import type { NewEvent, Store, StoredEvent } from '../store/types.js'
import type { PanelService } from '../upstream/types.js'

const COMPARED = ['id', 'name', 'type', 'category', 'rate', 'min', 'max', 'refill', 'cancel', 'dripfeed'] as const

function audience (service: PanelService): NewEvent['audience'] {
  return { scope: 'services:read', service: { id: service.id, category: service.category } }
}

function event (type: string, service: PanelService, data: Record<string, unknown>): NewEvent {
  return { type, tenantId: null, audience: audience(service), data: { service, ...data } }
}

/** service.added / service.changed (with the changed fields' old values) / service.removed, from the previous catalog to `current`. */
export function catalogChanges (previous: Map<number, PanelService>, current: PanelService[]): NewEvent[] {
  const events: NewEvent[] = []
  const ids = new Set<number>()
  for (const service of current) {
    ids.add(service.id)
    const before = previous.get(service.id)
    if (before === undefined) {
      events.push(event('service.added', service, {}))
      continue
    }
    const changed = COMPARED.filter((field) => before[field] !== service[field])
    if (changed.length > 0) events.push(event('service.changed', service, { previous: Object.fromEntries(changed.map((f) => [f, before[f] ?? null])) }))
  }
  for (const [id, service] of previous) {
    if (!ids.has(id)) events.push(event('service.removed', service, {}))
  }
  return events
}

/** Stores a snapshot of the panel's catalog and records what changed since the last one stored (none the first time). */
export async function recordSnapshot (store: Store, panel: string, snapshot: CatalogSnapshot, now: Date): Promise<StoredEvent[]> {
  return await store.recordCatalog(panel, snapshot.services.map((s) => ({ id: s.id, data: s })), (previous) =>
    previous === undefined ? [] : catalogChanges(previous as Map<number, PanelService>, snapshot.services), now)
}
