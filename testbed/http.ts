/** Small HTTP helpers shared by the test bed's servers (node:http, no framework). */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Server } from 'node:net'

/** Reads a request body whole; the fakes only see small JSON and form bodies. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Sends a JSON answer with the given status and extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

/** The bearer (or `token`) credential of an Authorization header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  return match?.[1]
}

/** Starts listening on 127.0.0.1 with an ephemeral port and resolves with the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as AddressInfo).port
}

/** Closes a server, dropping idle keep-alive connections so that close() does not hang. */
export async function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  const closed = new Promise<void>(resolve => server.close(() => resolve()))
  server.closeAllConnections?.()
  await closed
}

/** Seconds since the epoch, real time: token lifetimes follow the clients' clocks. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
