#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { Value } from 'typebox/value'
import { ConfigError, loadConfig } from './config.js'
import { GatewayError } from './problems/errors.js'
import { openStore } from './store/open.js'
import type { Store } from './store/types.js'
import { announceInvalidation } from './tenancy/invalidations.js'
import type { Invalidation } from './tenancy/authenticator.js'
import { createTenant, issueKey, publicKey } from './tenancy/admin.js'
import { ledgerJson, resolveUnknownOrder } from './orders/resolve.js'
import { NewTenantBody } from '../schemas/admin.js'
import { isEntryPoint } from './entry-point.js'

const USAGE = `smm-gateway: manage tenants, keys and unknown orders in the gateway's store (DATABASE_URL)

  tenants create --name NAME [--scopes a,b] [--rate-limit N] [--daily-budget 10.00]
                 [--monthly-budget 200.00] [--services 1,2] [--categories "Cat A,Cat B"]
  tenants list
  tenants disable TENANT_ID
  tenants enable TENANT_ID
  keys issue TENANT_ID [--expires-at 2027-01-01T00:00:00Z]
  keys list TENANT_ID
  keys revoke KEY_ID
  orders unknown                     orders whose panel answer was lost
  orders resolve ORDER_ID --panel-order PANEL_ORDER_ID | --not-placed

Output is JSON. A new key is printed once; only its hash is stored.
Without --scopes a tenant gets every scope but balance:read (the panel
balance is shared by all tenants): add it to --scopes to grant it.
A running gateway sees a revocation or a disabled tenant within
AUTH_CACHE_SECONDS; with REDIS_URL set, the CLI tells the gateways at once.`

function parse (argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      'rate-limit': { type: 'string' },
      'daily-budget': { type: 'string' },
      'monthly-budget': { type: 'string' },
      services: { type: 'string' },
      categories: { type: 'string' },
      'expires-at': { type: 'string' },
      'panel-order': { type: 'string' },
      'not-placed': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
}

type Options = ReturnType<typeof parse>['values']

function list (value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

function id (value: string | undefined, what: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new GatewayError('validation_failed', `${what} must be a positive integer`)
  return Number(value)
}

function tenantInput (values: Options): unknown {
  const services = list(values.services)?.map((s) => id(s, '--services'))
  const categories = list(values.categories)
  return {
    name: values.name,
    ...(values.scopes === undefined ? {} : { scopes: list(values.scopes) }),
    ...(values['rate-limit'] === undefined ? {} : { rateLimitPerMinute: id(values['rate-limit'], '--rate-limit') }),
    ...(values['daily-budget'] === undefined ? {} : { dailyBudget: values['daily-budget'] }),
    ...(values['monthly-budget'] === undefined ? {} : { monthlyBudget: values['monthly-budget'] }),
    ...(services === undefined && categories === undefined ? {} : { allowedServices: { ids: services ?? [], categories: categories ?? [] } })
  }
}

async function run (store: Store, values: Options, [noun, verb, arg]: string[]): Promise<unknown> {
  switch (`${noun ?? ''} ${verb ?? ''}`) {
    case 'tenants create': {
      const input = tenantInput(values)
      if (!Value.Check(NewTenantBody, input)) {
        const first = Value.Errors(NewTenantBody, input)[0]
        throw new GatewayError('validation_failed', `invalid tenant: ${first?.instancePath ?? ''} ${first?.message ?? ''}`.trim())
      }
      const { tenant, key } = await createTenant(store, input)
      return { tenant, key: key.key, keyId: key.id }
    }
    case 'tenants list':
      return await store.listTenants({ limit: 10_000 })
    case 'tenants disable':
    case 'tenants enable': {
      const tenant = await store.updateTenant(id(arg, 'TENANT_ID'), { disabled: verb === 'disable' })
      if (tenant === undefined) throw new GatewayError('not_found', `Tenant ${arg ?? ''} does not exist`)
      return tenant
    }
    case 'keys issue': {
      const expiresAt = values['expires-at'] === undefined ? null : new Date(values['expires-at'])
      if (expiresAt !== null && Number.isNaN(expiresAt.getTime())) throw new GatewayError('validation_failed', '--expires-at must be an ISO date')
      return await issueKey(store, id(arg, 'TENANT_ID'), expiresAt)
    }
    case 'keys list':
      return (await store.listKeys(id(arg, 'TENANT_ID'))).map(publicKey)
    case 'keys revoke': {
      const key = await store.revokeKey(id(arg, 'KEY_ID'))
      if (key === undefined) throw new GatewayError('not_found', `Key ${arg ?? ''} does not exist`)
      return publicKey(key)
    }
    case 'orders unknown':
      return (await store.listOrdersInState('unknown', { limit: 10_000 })).map(ledgerJson)
    case 'orders resolve': {
      const notPlaced = values['not-placed'] === true
      if (notPlaced === (values['panel-order'] !== undefined)) throw new GatewayError('validation_failed', 'give either --panel-order PANEL_ORDER_ID or --not-placed')
      const resolution = notPlaced ? { outcome: 'not_placed' as const } : { outcome: 'placed' as const, panelOrderId: id(values['panel-order'], '--panel-order') }
      return ledgerJson(await resolveUnknownOrder(store, id(arg, 'ORDER_ID'), resolution))
    }
    default:
      throw new GatewayError('validation_failed', 'unknown command')
  }
}

/** What running gateways must drop from their auth caches once the command succeeded. */
function invalidationOf ([noun, verb, arg]: string[]): Invalidation | undefined {
  if (noun === 'keys' && verb === 'revoke') return { key: Number(arg) }
  if (noun === 'tenants' && (verb === 'disable' || verb === 'enable')) return { tenant: Number(arg) }
  return undefined
}

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/** Runs one command (`argv` without node and the script); resolves to the exit code. */
export async function main (argv: string[], env: Record<string, string | undefined> = process.env, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const { values, positionals } = parse(argv)
  if (values.help === true || positionals.length === 0) {
    io.stdout.write(USAGE + '\n')
    return 0
  }
  try {
    const config = loadConfig(env, { requirePanel: false })
    const store = await openStore(config.store)
    try {
      io.stdout.write(JSON.stringify(await run(store, values, positionals), null, 2) + '\n')
    } finally {
      await store.close()
    }
    const invalidation = invalidationOf(positionals)
    if (invalidation !== undefined && config.redis.url !== undefined &&
      !await announceInvalidation(config.redis.url, config.redis.keyPrefix, invalidation)) {
      io.stderr.write('smm-gateway: warning: Redis unreachable; running gateways see the change within AUTH_CACHE_SECONDS\n')
    }
    return 0
  } catch (err) {
    if (err instanceof GatewayError || err instanceof ConfigError) {
      io.stderr.write(`smm-gateway: ${err.message}\n`)
      if (err instanceof GatewayError && err.code === 'validation_failed') io.stderr.write('\n' + USAGE + '\n')
      return 1
    }
    throw err
  }
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main(process.argv.slice(2))
