import type { StoredEvent } from '../store/types.js'

/** An event as GET /events lists it and a webhook delivers it. */
export interface EventBody {
  id: string
  type: string
  createdAt: string
  data: Record<string, unknown>
}

export function eventBody (event: StoredEvent): EventBody {
  return { id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), data: event.data }
}
