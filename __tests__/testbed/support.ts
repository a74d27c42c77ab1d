/**
 * Small helpers for the test bed's conformance tests of clouds, tenants and Resource Manager: raw HTTPS
 * requests trusting the test CA, access tokens from the fake Entra, and child processes whose only test-bed
 * settings are the proxy, the CA and the GitHub OIDC variables.
 */
import { execFile } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request } from 'node:https'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Testbed } from '../../testbed/index.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
}

/** A request to a loopback server of the test bed; `host` in `headers` stands for the proxied name. */
export function httpsJson(
  url: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {}
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', ca, headers: options.headers }, res => {
      let text = ''
      res.on('data', chunk => (text += chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? JSON.parse(text) : undefined
        })
      )
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** An access token for a tenant's first app (client secret) and `scope`, straight from the fake Entra. */
export async function tokenFor(testbed: Testbed, tenant: string | undefined, scope: string): Promise<string> {
  const found = tenant ? testbed.directory.tenant(tenant) : testbed.directory.defaultTenant
  const app = found!.apps[0]
  const res = await httpsJson(
    `${testbed.entra.url}/${found!.tenantId}/oauth2/v2.0/token`,
    testbed.tls.caPem,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
        scope
      }).toString()
    }
  )
  if (res.status !== 200) throw new Error(`token: ${JSON.stringify(res.body)}`)
  return res.body.access_token as string
}

/**
 * Runs a fixture script with Node and only the production-path settings of the test bed: HTTPS_PROXY,
 * NO_PROXY, NODE_EXTRA_CA_CERTS and the GitHub OIDC request variables. Returns its last stdout line, parsed.
 */
export async function runFixture(
  testbed: Testbed,
  script: string,
  args: string[],
  extraEnv: Record<string, string> = {}
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<any> {
  const e = testbed.env
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    HTTPS_PROXY: e.HTTPS_PROXY,
    NO_PROXY: e.NO_PROXY,
    NODE_EXTRA_CA_CERTS: e.NODE_EXTRA_CA_CERTS,
    ACTIONS_ID_TOKEN_REQUEST_URL: e.ACTIONS_ID_TOKEN_REQUEST_URL,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: e.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
    ...extraEnv
  }
  const { stdout } = await promisify(execFile)(process.execPath, [join(FIXTURES, script), ...args], { env })
  return JSON.parse(stdout.trim().split('\n').pop()!)
}

/**
 * An https.Agent that reaches every host through the test bed's CONNECT proxy and trusts the test CA: what
 * HTTPS_PROXY + NODE_EXTRA_CA_CERTS give a fresh process, for in-process SDK clients and credentials
 * (core-rest-pipeline ignores `tlsOptions` when it proxies, so `proxyOptions` alone cannot do it).
 */
export class ProxyTunnelAgent extends HttpsAgent {
  constructor(
    private readonly proxyPort: number,
    private readonly ca: string
  ) {
    super({ keepAlive: true })
  }

  override createConnection(
    options: { host?: string | null; port?: number | string | null; servername?: string },
    callback: (error: Error | null, socket?: Duplex) => void
  ): undefined {
    const target = `${options.host}:${options.port ?? 443}`
    const connect = httpRequest({ host: '127.0.0.1', port: this.proxyPort, method: 'CONNECT', path: target })
    connect.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        callback(new Error(`proxy refused ${target}: ${res.statusCode}`))
        return
      }
      const tlsSocket = tlsConnect({
        socket,
        servername: options.servername ?? options.host ?? undefined,
        ca: this.ca
      })
      tlsSocket.once('secureConnect', () => callback(null, tlsSocket))
      tlsSocket.once('error', error => callback(error))
    })
    connect.on('error', error => callback(error))
    connect.end()
    return undefined
  }
}

/** Client options that send an in-process Azure SDK client (or credential) through the test bed's proxy. */
export function viaProxy(testbed: Testbed): { agent: HttpsAgent } {
  return { agent: new ProxyTunnelAgent(testbed.proxy.port, testbed.tls.caPem) }
}
