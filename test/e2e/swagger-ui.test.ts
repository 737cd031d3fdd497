import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { gateway, type TestContext } from '../helper.js'

// Debian's chromium, not a browser downloaded by Playwright: nothing is fetched at test time.
const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync'
]
const STEP_MS = 15_000
// Chromium starts slowly on a loaded CI machine.
t.setTimeout(120_000)

const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium); set REQUIRE_BROWSER=1 to fail instead of skipping`

if (missing !== undefined && process.env.REQUIRE_BROWSER === '1') {
  t.fail(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`)
}

/** One operation's block in Swagger UI, found by method and exact path. */
function operation (page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock.opblock-${method}`).filter({
    has: page.locator('.opblock-summary-path', { hasText: new RegExp(`^${path.replace(/[/]/g, '\\/')}$`) })
  }).first()
}

/** Expand an operation, switch it to "Try it out" (unless tryItOutEnabled did already) and return it. */
async function tryItOut (page: Page, method: string, path: string): Promise<Locator> {
  const block = operation(page, method, path)
  await block.locator('.opblock-summary').first().click()
  const toggle = block.locator('button.try-out__btn')
  await toggle.waitFor({ timeout: STEP_MS })
  if ((await toggle.innerText()).trim() === 'Try it out') await toggle.click()
  await block.locator('button.execute').waitFor({ timeout: STEP_MS })
  return block
}

/** Execute the operation and read the live response Swagger UI shows. */
async function execute (page: Page, block: Locator, path: string): Promise<{ status: string, body: string, authorization: string | undefined }> {
  const answered = page.waitForResponse((res) => new URL(res.url()).pathname === path, { timeout: STEP_MS })
  await block.locator('button.execute').click()
  const response = await answered
  const live = block.locator('.live-responses-table .response').first()
  await live.waitFor({ timeout: STEP_MS })
  const status = (await live.locator('.response-col_status').innerText()).trim()
  const body = await live.locator('.response-col_description pre').first().innerText()
  return { status, body, authorization: await response.request().headerValue('authorization') ?? undefined }
}

/** A page in a fresh Chromium with its own temporary profile; all gone when the test ends. */
async function browserPage (t: TestContext): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), 'smm-gateway-chromium-'))
  t.teardown(async () => { await rm(profile, { recursive: true, force: true }) })
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 1000 }
  })
  t.teardown(async () => { await context.close() })
  return context.pages()[0] ?? await context.newPage()
}

t.test('Swagger UI in Chromium: authorise with a tenant key, list services, place an order, no CSP violations', { skip: missing ?? false, timeout: 90_000 }, async (t) => {
  const gw = await gateway(t)
  const base = await gw.app.listen({ host: '127.0.0.1', port: 0 })

  // The order's service and quantity come from the API, as a person would look them up.
  const { items } = (await gw.request({ url: '/services?type=Default&limit=1' })).json() as { items: Array<{ id: number, min: number }> }
  const service = items[0]
  if (service === undefined) throw new Error('the simulator catalog has no Default service')

  const page = await browserPage(t)
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content.Security.Policy/i.test(message.text())) problems.push(`console ${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => { problems.push(`page error: ${error.message}`) })
  // A listener the page's CSP cannot block (init scripts run outside it); catches violations that log nothing.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    console.error('Content-Security-Policy violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'))
  })`)

  try {
    await page.goto(`${base}/docs`, { waitUntil: 'load' })
    await page.locator('.opblock-summary-path').first().waitFor({ timeout: STEP_MS })

    await page.locator('.scheme-container button.authorize').click()
    const dialog = page.locator('.dialog-ux .modal-ux')
    await dialog.waitFor({ timeout: STEP_MS })
    const bearer = dialog.locator('.auth-container').filter({ hasText: 'bearerAuth' })
    await bearer.locator('input').first().fill(gw.key)
    await bearer.locator('button.authorize').click()
    await bearer.locator('button', { hasText: 'Logout' }).waitFor({ timeout: STEP_MS })
    await bearer.locator('button.btn-done').click()
    await dialog.waitFor({ state: 'detached', timeout: STEP_MS })

    const list = await execute(page, await tryItOut(page, 'get', '/services'), '/services')
    t.equal(list.status, '200', 'GET /services answers 200')
    t.equal(list.authorization, `Bearer ${gw.key}`, 'the key went out as a bearer token')
    const catalog = JSON.parse(list.body) as { items: Array<{ id: number }>, total: number }
    t.ok(catalog.items.length > 0, `the response body lists services (${catalog.total})`)
    t.ok(catalog.items.some((s) => s.id === service.id), 'among them the Default service ordered below')

    const post = await tryItOut(page, 'post', '/orders')
    const editor = post.locator('textarea.body-param__text')
    await editor.waitFor({ timeout: STEP_MS })
    await editor.fill(JSON.stringify({ service: service.id, link: 'https://instagram.com/example', quantity: service.min }, null, 2))
    const placed = await execute(page, post, '/orders')
    t.equal(placed.status, '201', 'POST /orders answers 201')
    const order = JSON.parse(placed.body) as { id: number, panelOrderId: number, service: number }
    t.type(order.id, 'number', `an order id (${order.id})`)
    t.equal(order.service, service.id)
    t.ok(gw.sim.order(order.panelOrderId), 'the panel has the order, under its own id')

    t.same(problems, [], 'no CSP violations, console errors or page errors')
  } catch (error) {
    t.fail(String(error))
  } finally {
    if (!t.passing()) {
      const shot = join(await mkdtemp(join(tmpdir(), 'smm-gateway-swagger-ui-')), 'failure.png')
      await page.screenshot({ path: shot, fullPage: true }).then(() => { t.comment(`screenshot: ${shot}`) }, () => {})
      if (problems.length > 0) t.comment(problems.join('\n'))
    }
  }
})

t.test('a page on an allowed origin places an order cross-origin and reads the exposed headers; another origin cannot', { skip: missing ?? false, timeout: 60_000 }, async (t) => {
  const pages = createServer((_request, response) => { response.end('<!doctype html><title>app</title>') })
  await new Promise<void>((resolve) => { pages.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { pages.close() })
  const appOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`
  const gw = await gateway(t, { env: { CORS_ORIGINS: appOrigin } })
  // localhost vs 127.0.0.1: another origin, so the browser preflights.
  const api = (await gw.app.listen({ host: '127.0.0.1', port: 0 })).replace('127.0.0.1', 'localhost')
  const page = await browserPage(t)
  const order = `async ({ api, key }) => {
    const res = await fetch(api + '/orders', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json', 'idempotency-key': 'browser-1' },
      body: JSON.stringify({ service: 1, link: 'https://instagram.com/example', quantity: 100 })
    })
    return { status: res.status, location: res.headers.get('location'), requestId: res.headers.get('x-request-id'), remaining: res.headers.get('ratelimit-remaining') }
  }`

  await page.goto(appOrigin)
  const allowed = await page.evaluate(`(${order})(${JSON.stringify({ api, key: gw.key })})`) as Record<string, string | number | null>
  t.equal(allowed.status, 201)
  t.match(allowed.location, /^\/orders\/\d+$/, 'Location is readable')
  t.ok(allowed.requestId, 'X-Request-Id is readable')
  t.ok(allowed.remaining, 'RateLimit-Remaining is readable')

  // The same page served from another origin (localhost instead of 127.0.0.1).
  await page.goto(appOrigin.replace('127.0.0.1', 'localhost'))
  const refused = await page.evaluate(`(${order})(${JSON.stringify({ api, key: gw.key })}).then(() => 'answered', (error) => error.name)`)
  t.equal(refused, 'TypeError', 'the browser refuses the call')
  t.equal(gw.sim.calls('add'), 1, 'the refused preflight kept the POST from being sent')
})
