/**
 * A CONNECT proxy on loopback that stands in for DNS and the network. Clients keep their production
 * addresses (`https://prod.vault.azure.net`, `https://login.microsoftonline.com`) and only set
 * HTTPS_PROXY; the proxy tunnels each known host to a local server and refuses every other host, so
 * nothing ever leaves loopback.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'

/**
 * Answers the local port for a host name, or undefined when the host is not in the map. It may be async:
 * a lazily served vault starts its server when its host name is first connected to.
 */
export type HostResolver = (host: string) => number | undefined | Promise<number | undefined>

export interface ProxyLogEntry {
  time: number
  host: string
  port: number
  /** The local port the tunnel went to, or 'refused'. */
  target: number | 'refused'
}

export interface TestbedProxy {
  readonly port: number
  /** `http://127.0.0.1:<port>`, the value for HTTPS_PROXY. */
  readonly url: string
  readonly log: ProxyLogEntry[]
  stop(): Promise<void>
}

/** Starts the proxy. Only CONNECT to port 443 of a host the resolver knows is tunnelled. */
export async function startProxy(resolve: HostResolver): Promise<TestbedProxy> {
  const log: ProxyLogEntry[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    // Plain-HTTP proxying is never needed: every service reached through the proxy speaks HTTPS.
    res.writeHead(403, { 'content-type': 'text/plain' })
    res.end(`test bed proxy: plain HTTP proxying is refused (${req.url})\n`)
  })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    const [host, portText] = splitAuthority(req.url ?? '')
    const port = Number(portText || 443)
    void tunnel(client, head, host, port)
  })

  async function tunnel(client: Socket, head: Buffer, host: string, port: number): Promise<void> {
    // The client waits for the 200 before it sends anything more, so nothing is lost while resolving.
    let target: number | undefined
    try {
      target = port === 443 ? await resolve(host.toLowerCase()) : undefined
    } catch {
      target = undefined
    }
    log.push({ time: Date.now(), host, port, target: target ?? 'refused' })
    if (client.destroyed) return
    if (target === undefined) {
      client.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\ntest bed proxy: ${host}:${port} is not in the map\n`
      )
      return
    }
    const upstream = connect(target, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => {
      sockets.delete(upstream)
      client.destroy()
    })
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
  }
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    log,
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(done => server.close(() => done()))
    }
  }
}

function splitAuthority(authority: string): [string, string] {
  const bracket = authority.match(/^\[([^\]]+)\](?::(\d+))?$/)
  if (bracket) return [bracket[1], bracket[2] ?? '']
  const i = authority.lastIndexOf(':')
  return i < 0 ? [authority, ''] : [authority.slice(0, i), authority.slice(i + 1)]
}
