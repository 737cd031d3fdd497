import { lookup } from 'node:dns/promises'
import { lookup as lookupCallback, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'
import { GatewayError } from '../problems/errors.js'

/**
 * Outbound safety for webhook receivers: a public https URL, whose host
 * resolves only to public unicast addresses, unless the operator allowed the
 * host (WEBHOOK_ALLOWED_TARGETS: names, addresses or CIDRs), which may then be
 * plain http and internal.
 */
export class TargetPolicy {
  readonly #hosts = new Set<string>()
  readonly #ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = []

  constructor (allowed: string[]) {
    for (const entry of allowed.map((a) => a.trim().toLowerCase()).filter((a) => a !== '')) {
      if (entry.includes('/')) {
        try {
          this.#ranges.push(ipaddr.parseCIDR(entry))
          continue
        } catch {}
      }
      this.#hosts.add(stripBrackets(entry))
    }
  }

  /** The host itself is allowed (by name or address). */
  allowsHost (host: string): boolean {
    const h = stripBrackets(host.toLowerCase())
    return this.#hosts.has(h) || (isIP(h) !== 0 && this.allowsAddress(h))
  }

  /** An allowed address (or range). */
  allowsAddress (address: string): boolean {
    const addr = normalized(address)
    if (addr === undefined) return false
    if (this.#hosts.has(addr.toString())) return true
    return this.#ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits))
  }

  /** Why `address` may not be connected to for `host`, or undefined when it may. */
  refusal (host: string, address: string): string | undefined {
    if (this.allowsHost(host) || this.allowsAddress(address)) return undefined
    const addr = normalized(address)
    if (addr === undefined) return `${address} is not an IP address`
    const range = addr.range()
    return range === 'unicast' ? undefined : `${host} resolves to a non-public address (${range})`
  }

  /** Checks a receiver URL as given (create, patch): refuses with webhook_target_forbidden, saying why. */
  async check (raw: string): Promise<URL> {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw forbidden('The webhook URL is not a valid absolute URL')
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw forbidden('The webhook URL must be https')
    if (url.username !== '' || url.password !== '') throw forbidden('The webhook URL must not carry credentials')
    const host = stripBrackets(url.hostname)
    const allowed = this.allowsHost(host)
    if (url.protocol !== 'https:' && !allowed) throw forbidden('The webhook URL must be https')
    if (allowed) return url
    let addresses: LookupAddress[]
    try {
      addresses = isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true })
    } catch {
      throw forbidden(`The webhook host ${host} does not resolve`)
    }
    if (addresses.length === 0) throw forbidden(`The webhook host ${host} does not resolve`)
    for (const { address } of addresses) {
      const why = this.refusal(host, address)
      if (why !== undefined) throw forbidden(`The webhook host is not allowed: ${why}`)
    }
    return url
  }

  /**
   * A lookup for undici's connector that refuses a forbidden address at
   * connect time: a name that resolved to a public address when the endpoint
   * was saved may resolve elsewhere later (DNS rebinding).
   */
  connectLookup (): LookupFunction {
    return (hostname, options, callback) => {
      lookupCallback(hostname, { ...options, all: true }, (error, addresses) => {
        if (error !== null) {
          callback(error, '', 0)
          return
        }
        const list = addresses as unknown as LookupAddress[]
        for (const { address } of list) {
          const why = this.refusal(hostname, address)
          if (why !== undefined) {
            callback(Object.assign(new Error(`webhook target refused: ${why}`), { code: 'WEBHOOK_TARGET_FORBIDDEN' }), '', 0)
            return
          }
        }
        if (options.all === true) callback(null, list as any)
        else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4)
      })
    }
  }
}

function stripBrackets (host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry. */
function normalized (address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    const addr = ipaddr.parse(stripBrackets(address))
    return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr
  } catch {
    return undefined
  }
}

function forbidden (detail: string): GatewayError {
  return new GatewayError('webhook_target_forbidden', detail)
}
