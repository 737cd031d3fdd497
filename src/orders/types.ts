// The order as the domain takes and gives it. The API's schemas
// (schemas/orders.ts) describe the same fields on the wire; they import
// nothing from here, and the routes hand these values to them, so the
// compiler holds the two together.
import type { OrderStatus } from './status.js'

/** What a tenant asks for; the service's type decides which fields it needs. */
export interface OrderRequest {
  service: number
  link?: string
  quantity?: number
  runs?: number
  interval?: number
  keywords?: string
  comments?: string
  usernames?: string
  hashtags?: string
  hashtag?: string
  username?: string
  media?: string
  answerNumber?: number
  groups?: string
  country?: string
  device?: number
  typeOfTraffic?: number
  googleKeyword?: string
  referringUrl?: string
  min?: number
  max?: number
  posts?: number
  oldPosts?: number
  delay?: number
  expiry?: string
}

/** An order as its tenant reads it: the store's record, with the panel's live status when it was asked. */
export interface OrderView {
  id: number
  panelOrderId: number | null
  service: number
  status: OrderStatus
  upstreamStatus: string | null
  charge: string | null
  startCount: number | null
  remains: number | null
  currency: string | null
  runs?: number
  posts?: number
  panelChildOrders?: number[]
  quantity: number | null
  estimatedCharge: string | null
  createdAt: string
}
