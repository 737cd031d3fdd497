import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import type { WebhookEndpoint } from '../store/types.js'

/** A new signing secret in the Standard Webhooks form: `whsec_` and base64 of 24 random bytes. */
export function newSecret (): string {
  return 'whsec_' + randomBytes(24).toString('base64')
}

/**
 * The webhook-signature header for one attempt: the current secret's
 * signature, and during a rotation's overlap the previous one's beside it
 * (space-separated), so a receiver holding either secret verifies it.
 */
export function signatureHeader (endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretUntil'>, msgId: string, at: Date, payload: string): string {
  const signatures = [new Webhook(endpoint.secret).sign(msgId, at, payload)]
  const { previousSecret, previousSecretUntil } = endpoint
  if (previousSecret !== null && previousSecretUntil !== null && previousSecretUntil.getTime() > at.getTime()) {
    signatures.push(new Webhook(previousSecret).sign(msgId, at, payload))
  }
  return signatures.join(' ')
}
