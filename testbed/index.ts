/**
 * Starts the whole test bed in one process: the Key Vault emulator, the fake Entra, the fake GitHub
 * runner services (with Azurite), the CONNECT proxy that maps production host names to them, and
 * the control server. `env` is the contract printed by `npm run testbed`.
 */
import { ClientSecretCredential, type TokenCredential } from '@azure/identity'
import { createTlsMaterial, type TlsMaterial } from './ca.js'
import { TestClock } from './clock.js'
import { defaultLayout, type TestbedLayout } from './config.js'
import { startEntra, type FakeEntra } from './entra.js'
import { startGitHubServices, type FakeGitHub } from './github/index.js'
import { startControlServer } from './keyvault/control.js'
import { startKeyVaultEmulator, type KeyVaultEmulator, type VaultBehaviour } from './keyvault/emulator.js'
import { startProxy, type TestbedProxy } from './proxy.js'

export interface TestbedOptions {
  layout?: TestbedLayout
  /** Behaviour of every vault (latency, throttle, faults, async windows). */
  behaviour?: Partial<VaultBehaviour>
  accessTokenLifetimeSeconds?: number
  oidcTokenLifetimeSeconds?: number
  /** Start the HTTP control server (default false; `npm run testbed` turns it on). */
  control?: boolean
  stateDir?: string
}

export interface Testbed {
  readonly layout: TestbedLayout
  readonly tls: TlsMaterial
  readonly clock: TestClock
  readonly keyvault: KeyVaultEmulator
  readonly entra: FakeEntra
  readonly github: FakeGitHub
  readonly proxy: TestbedProxy
  readonly controlUrl?: string
  /** The environment a client needs, as printed by `npm run testbed`. */
  readonly env: Record<string, string>
  /** A credential for in-process SDK clients on the loopback URLs (see `sdkOptions`). */
  credential(): TokenCredential
  /** SDK client options for the loopback URLs: trust the test CA, relax challenge verification. */
  sdkOptions(): { tlsOptions: { ca: string }; disableChallengeResourceVerification: true }
  stop(): Promise<void>
}

const KNOWN_AUTHORITIES = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn']
const KNOWN_MANAGEMENT = [
  'management.azure.com',
  'management.usgovcloudapi.net',
  'management.chinacloudapi.cn'
]
const VAULT_SUFFIXES = ['.vault.azure.net', '.vault.usgovcloudapi.net', '.vault.azure.cn']

/** Starts every service of the test bed. Call `stop()` when done. */
export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const layout = options.layout ?? defaultLayout()
  const tls = createTlsMaterial(options.stateDir)
  const clock = new TestClock()
  const stops: Array<() => Promise<void>> = []
  try {
    const github = await startGitHubServices({
      repository: layout.github.repository,
      subject: layout.github.subject,
      runId: layout.github.runId,
      oidcTokenLifetimeSeconds: options.oidcTokenLifetimeSeconds ?? layout.oidcTokenLifetimeSeconds
    })
    stops.push(() => github.stop())
    const entra = await startEntra({
      tls,
      layout,
      githubJwks: () => github.jwks(),
      accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? layout.accessTokenLifetimeSeconds
    })
    stops.push(() => entra.stop())
    const keyvault = await startKeyVaultEmulator({
      tls,
      tenantId: layout.tenantId,
      jwks: () => entra.jwks(),
      clock,
      behaviour: options.behaviour ?? layout.behaviour
    })
    stops.push(() => keyvault.stop())
    for (const vault of layout.vaults) await keyvault.addVault(vault, vault.behaviour)

    const proxy = await startProxy(host => {
      if (KNOWN_AUTHORITIES.includes(host) || KNOWN_MANAGEMENT.includes(host)) return entra.port
      const suffix = VAULT_SUFFIXES.find(s => host.endsWith(s))
      if (!suffix) return undefined
      const name = host.slice(0, -suffix.length)
      return keyvault.vaults().find(v => v.name === name)?.port
    })
    stops.push(() => proxy.stop())

    let controlUrl: string | undefined
    if (options.control) {
      const control = await startControlServer(keyvault)
      stops.push(() => control.stop())
      controlUrl = control.url
    }

    const app = layout.apps[0]
    const env: Record<string, string> = {
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com',
      AZURE_TENANT_ID: layout.tenantId,
      AZURE_CLIENT_ID: app.clientId,
      ...github.runEnv(),
      NODE_EXTRA_CA_CERTS: tls.caPath,
      REQUESTS_CA_BUNDLE: tls.caPath,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1,localhost,.localhost',
      TESTBED_ENTRA_LOCAL_URL: entra.url,
      ...(controlUrl ? { TESTBED_CONTROL_URL: controlUrl } : {})
    }
    for (const vault of keyvault.vaults()) {
      const key = vault.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')
      env[`KEYVAULT_${key}_URL`] = `https://${vault.name}.vault.azure.net`
      env[`KEYVAULT_${key}_LOCAL_URL`] = vault.localUrl
    }

    const credentialOptions = {
      authorityHost: entra.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: tls.caPem }
    }
    return {
      layout,
      tls,
      clock,
      keyvault,
      entra,
      github,
      proxy,
      controlUrl,
      env,
      credential: () =>
        new ClientSecretCredential(layout.tenantId, app.clientId, app.clientSecret ?? '', credentialOptions),
      sdkOptions: () => ({ tlsOptions: { ca: tls.caPem }, disableChallengeResourceVerification: true }),
      stop: async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined)
      }
    }
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
    throw error
  }
}
