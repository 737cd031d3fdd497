import type { Reply } from '../http-util.js'
import { MESSAGES } from '../messages.js'
import { Protocol } from '../protocol.js'
import type { Quirks } from '../quirks.js'
import type { Panel, PanelCall, PanelDeps } from './panel.js'

const json = (body: string): Reply => ({ status: 200, contentType: 'application/json', body })

/** The API v2 of the protocol document: `application/json`, the `Quirks` variants. */
export class StandardPanel implements Panel {
  readonly dialect = 'standard'
  readonly apiPath = '/api/v2'
  accountActive = true
  readonly #protocol: Protocol

  constructor (private readonly deps: PanelDeps) {
    this.#protocol = new Protocol(deps.book, deps.quirks)
  }

  getFields (): undefined {
    return undefined
  }

  call ({ fields, json: isJson }: PanelCall): Reply {
    if (isJson) return json(JSON.stringify({ error: MESSAGES.incorrectRequest }))
    if (fields.key !== this.deps.key || !this.accountActive) return json(JSON.stringify({ error: MESSAGES.invalidKey }))
    return json(this.#protocol.answer(fields.action ?? '', fields))
  }

  fault (): undefined {
    return undefined
  }

  page (): undefined {
    return undefined
  }

  setQuirks (quirks: Quirks): void {
    this.#protocol.setQuirks(quirks)
  }

  setPhpNotices (on: boolean): void {
    if (on) throw new RangeError('PHP notices are a smartpanel dialect feature')
  }
}
