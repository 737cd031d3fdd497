import type { IncomingMessage, ServerResponse } from 'node:http'

/** A whole HTTP answer, as a panel dialect renders it. */
export interface Reply {
  status: number
  contentType: string
  body: string
  headers?: Record<string, string>
}

export const HTML = 'text/html; charset=UTF-8'

export function send (res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) })
  res.end(body)
}

export function sendReply (res: ServerResponse, reply: Reply): void {
  send(res, reply.status, reply.contentType, reply.body, reply.headers)
}

export function sendJson (res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', typeof value === 'string' ? value : JSON.stringify(value))
}

/** The body as text, or undefined when it is larger than `limit` bytes (read to the end anyway, to answer 413). */
export async function readBody (req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= limit) chunks.push(chunk)
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8')
}
