/**
 * Plain-HTTP control surface of the Key Vault emulator (127.0.0.1 only), over the programmatic API.
 * JSON in, JSON out; errors are `{"error": "<message>"}` with 400 or 404.
 *
 *   GET    /vaults                          -> [{name, localUrl, port, config, behaviour}]
 *   POST   /vaults                          {config: VaultConfig, behaviour?: Partial<VaultBehaviour>} -> 201 vault
 *   GET    /vaults/{name}                   -> vault
 *   GET    /vaults/{name}/state             -> VaultState (active / deleted / pending items per type)
 *   PATCH  /vaults/{name}/behaviour         Partial<VaultBehaviour> (nested objects merged) -> behaviour
 *   POST   /vaults/{name}/seed              one or an array of
 *                                           {type:'secret', name, value, tags?, contentType?, enabled?, versions?}
 *                                           {type:'key', name, kty?, tags?, enabled?, versions?}
 *                                           {type:'certificate', name, tags?, versions?, contentType?,
 *                                            contentTypes?, exportable?}                   -> {seeded: n}
 *   GET    /clock                           -> {now, iso}
 *   POST   /clock/advance                   {ms} or {seconds} or {days} -> {now, iso}
 *   GET    /log?vault=&since=               -> RequestLogEntry[] (since: clock ms)
 *   DELETE /log                             -> 204
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { VaultConfig } from '../config.js'
import { readBody } from '../http.js'
import { mergeBehaviour, type VaultBehaviour } from './behaviour.js'
import type { EmulatedVault, KeyVaultEmulator } from './emulator.js'

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

function describe(v: EmulatedVault): unknown {
  return { name: v.name, localUrl: v.localUrl, port: v.port, config: v.config, behaviour: v.behaviour }
}

async function body(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).trim()
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new ControlError(400, 'body is not JSON')
  }
}

function vaultOf(emulator: KeyVaultEmulator, name: string): EmulatedVault {
  try {
    return emulator.vault(name)
  } catch {
    throw new ControlError(404, `unknown vault ${name}`)
  }
}

type SeedRequest = { type?: string; name?: string; value?: string } & Record<string, unknown>

function seed(vault: EmulatedVault, items: SeedRequest[]): number {
  for (const item of items) {
    if (!item.name) throw new ControlError(400, 'seed item needs a name')
    const { type, name, value, ...opts } = item
    if (type === 'secret') vault.seedSecret(name, String(value ?? ''), opts)
    else if (type === 'key') vault.seedKey(name, opts)
    else if (type === 'certificate') vault.seedCertificate(name, opts)
    else throw new ControlError(400, `seed type must be secret, key or certificate, not ${String(type)}`)
  }
  return items.length
}

async function route(
  emulator: KeyVaultEmulator,
  req: IncomingMessage
): Promise<{ status: number; body?: unknown }> {
  const url = new URL(req.url ?? '/', 'http://control.invalid')
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
  const m = req.method ?? 'GET'
  const clock = () => ({ now: emulator.clock.now(), iso: new Date(emulator.clock.now()).toISOString() })
  if (parts[0] === 'vaults') {
    if (parts.length === 1 && m === 'GET') return { status: 200, body: emulator.vaults().map(describe) }
    if (parts.length === 1 && m === 'POST') {
      const b = (await body(req)) as { config?: VaultConfig; behaviour?: Partial<VaultBehaviour> }
      if (!b.config?.name) throw new ControlError(400, 'config.name is required')
      try {
        return { status: 201, body: describe(await emulator.addVault(b.config, b.behaviour)) }
      } catch (error) {
        throw new ControlError(400, error instanceof Error ? error.message : String(error))
      }
    }
    const vault = vaultOf(emulator, parts[1] ?? '')
    if (parts.length === 2 && m === 'GET') return { status: 200, body: describe(vault) }
    if (parts[2] === 'state' && m === 'GET') return { status: 200, body: vault.state() }
    if (parts[2] === 'behaviour' && m === 'PATCH') {
      vault.behaviour = mergeBehaviour(vault.behaviour, (await body(req)) as Partial<VaultBehaviour>)
      return { status: 200, body: vault.behaviour }
    }
    if (parts[2] === 'seed' && m === 'POST') {
      const b = await body(req)
      try {
        return { status: 200, body: { seeded: seed(vault, (Array.isArray(b) ? b : [b]) as SeedRequest[]) } }
      } catch (error) {
        if (error instanceof ControlError) throw error
        throw new ControlError(400, error instanceof Error ? error.message : String(error))
      }
    }
  }
  if (parts[0] === 'clock') {
    if (parts.length === 1 && m === 'GET') return { status: 200, body: clock() }
    if (parts[1] === 'advance' && m === 'POST') {
      const b = (await body(req)) as { ms?: number; seconds?: number; days?: number }
      const ms = (b.ms ?? 0) + (b.seconds ?? 0) * 1000 + (b.days ?? 0) * 86_400_000
      if (!(ms >= 0)) throw new ControlError(400, 'advance needs a non-negative ms, seconds or days')
      emulator.clock.advance(ms)
      return { status: 200, body: clock() }
    }
  }
  if (parts[0] === 'log' && parts.length === 1) {
    if (m === 'GET') {
      const vault = url.searchParams.get('vault')
      const since = Number(url.searchParams.get('since') ?? 0)
      return {
        status: 200,
        body: emulator.requestLog.filter(e => (!vault || e.vault === vault) && e.time >= since)
      }
    }
    if (m === 'DELETE') {
      emulator.clearLog()
      return { status: 204 }
    }
  }
  throw new ControlError(404, `no route ${m} ${url.pathname}`)
}

/** Starts the control server on 127.0.0.1 (ephemeral port unless `opts.port`). */
export async function startControlServer(
  emulator: KeyVaultEmulator,
  opts: { port?: number } = {}
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(emulator, req)
      .catch(error => ({
        status: error instanceof ControlError ? error.status : 500,
        body: { error: error instanceof Error ? error.message : String(error) }
      }))
      .then(reply => {
        const text = reply.body === undefined ? '' : JSON.stringify(reply.body)
        res.writeHead(reply.status, text ? { 'content-type': 'application/json' } : {})
        res.end(text)
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
