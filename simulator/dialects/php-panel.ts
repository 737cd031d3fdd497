import type { Fault } from '../faults.js'
import { HTML, type Reply } from '../http-util.js'
import type { Quirks } from '../quirks.js'
import type { Dialect, Panel, PanelCall, PanelDeps } from './panel.js'
import { phpJson, type PhpValue } from './php-json.js'

/** What a PHP panel script has in common: it echoes text/html, whatever it prints first, then json_encode. */
export abstract class PhpPanel implements Panel {
  abstract readonly dialect: Dialect
  abstract readonly apiPath: string
  accountActive = true

  constructor (protected readonly deps: PanelDeps, private readonly pretty: boolean) {
    if (deps.quirks !== undefined) this.setQuirks(deps.quirks)
  }

  abstract call (request: PanelCall): Reply
  abstract getFields (query: URLSearchParams): Record<string, string> | undefined
  /** What a wrong key is answered with. */
  protected abstract wrongKey (): PhpValue

  /** What the script prints before its JSON (a stray newline, spaces, notices). */
  protected abstract preamble (): string

  protected encode (value: PhpValue): string {
    return phpJson(value, this.pretty)
  }

  /** `echo json_encode($value)`. */
  protected echo (value: PhpValue, status = 200): Reply {
    return this.text(this.encode(value), status)
  }

  /** JSON already encoded, or '' when the script echoes nothing. */
  protected text (json: string, status = 200): Reply {
    return { status, contentType: HTML, body: this.preamble() + json }
  }

  /** The key as the script sees it: the right one, on an active account. */
  protected keyAccepted (key: string | undefined): boolean {
    return key !== undefined && key !== '' && key === this.deps.key && this.accountActive
  }

  fault (fault: Fault): Reply | undefined {
    return fault === 'wrong-key' ? this.echo(this.wrongKey()) : undefined
  }

  page (_method: string, _path: string): Reply | undefined {
    return undefined
  }

  setQuirks (quirks: Quirks): void {
    if (Object.values(quirks).some((value) => value !== undefined)) {
      throw new RangeError('quirks are variants of the standard dialect only')
    }
  }

  setPhpNotices (on: boolean): void {
    if (on) throw new RangeError('PHP notices are a smartpanel dialect feature')
  }
}
