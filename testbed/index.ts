/**
 * Starts the whole test bed in one process: the Key Vault emulator, the fake Entra, the fake Resource
 * Manager, the fake GitHub runner services (with Azurite), the CONNECT proxy that maps production host
 * names of the three clouds to them, and the control server. `env` is the contract printed by
 * `npm run testbed`.
 */
import { ClientSecretCredential, type TokenCredential } from '@azure/identity'
import { startArm, type FakeArm } from './arm/index.js'
import { createTlsMaterial, type TlsMaterial } from './ca.js'
import { cloudOfLoginHost, cloudOfManagementHost } from './clouds.js'
import { TestClock } from './clock.js'
import {
  checkLayout,
  defaultLayout,
  type ArmBehaviour,
  type LayoutInput,
  type TestbedLayout
} from './config.js'
import { Directory } from './directory.js'
import { startEntra, type FakeEntra } from './entra.js'
import { startGitHubServices, type FakeGitHub } from './github/index.js'
import { startControlServer } from './keyvault/control.js'
import { startKeyVaultEmulator, type KeyVaultEmulator, type VaultBehaviour } from './keyvault/emulator.js'
import { startProxy, type TestbedProxy } from './proxy.js'

export interface TestbedOptions {
  /** Either layout shape (single- or multi-tenant); default testbed/layout.json. */
  layout?: LayoutInput
  /** Behaviour of every vault (latency, throttle, faults, async windows). */
  behaviour?: Partial<VaultBehaviour>
  /** Behaviour of the fake Resource Manager (read budget, page size); overrides the layout's. */
  arm?: Partial<ArmBehaviour>
  /** Serve vaults lazily (see `LayoutInput.lazyVaults`); overrides the layout's. */
  lazyVaults?: boolean
  accessTokenLifetimeSeconds?: number
  oidcTokenLifetimeSeconds?: number
  /** Start the HTTP control server (default false; `npm run testbed` turns it on). */
  control?: boolean
  stateDir?: string
}

export interface Testbed {
  /** The layout, normalized: `tenants[0]` is the default tenant, `tenantId` and `apps` are its. */
  readonly layout: TestbedLayout
  /** Tenants, subscriptions and vault placement (tenant, cloud, resource group, ARM id). */
  readonly directory: Directory
  readonly tls: TlsMaterial
  readonly clock: TestClock
  readonly keyvault: KeyVaultEmulator
  readonly entra: FakeEntra
  readonly arm: FakeArm
  readonly github: FakeGitHub
  readonly proxy: TestbedProxy
  readonly controlUrl?: string
  /** The environment a client needs, as printed by `npm run testbed`. */
  readonly env: Record<string, string>
  /**
   * A client-secret credential of a tenant's first app (default tenant unless `tenant` names one, by name
   * or id), for in-process SDK clients on the loopback URLs (see `sdkOptions`).
   */
  credential(tenant?: string): TokenCredential
  /** SDK client options for the loopback URLs: trust the test CA, relax challenge verification. */
  sdkOptions(): { tlsOptions: { ca: string }; disableChallengeResourceVerification: true }
  stop(): Promise<void>
}

/** `partner` -> `PARTNER`: the suffix of a tenant's or vault's environment variables. */
const envKey = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]/g, '_')

/** Starts every service of the test bed. Call `stop()` when done. */
export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const layout = checkLayout(options.layout ?? defaultLayout())
  const lazyVaults = options.lazyVaults ?? layout.lazyVaults ?? false
  let keyvault: KeyVaultEmulator | undefined
  const directory = new Directory(
    layout,
    () => keyvault?.vaults().map(v => v.config) ?? layout.vaults,
    () => keyvault?.size ?? layout.vaults.length
  )
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
    const emulator = await startKeyVaultEmulator({
      tls,
      tenantId: layout.tenantId,
      jwks: () => entra.jwks(),
      clock,
      behaviour: options.behaviour ?? layout.behaviour,
      placement: config => {
        const { tenant, cloud } = directory.place(config)
        return { tenantId: tenant.tenantId, cloud }
      },
      inheritedAssignments: config => directory.inheritedAssignments(config)
    })
    keyvault = emulator
    stops.push(() => emulator.stop())
    for (const vault of layout.vaults) await emulator.addVault(vault, vault.behaviour, { lazy: lazyVaults })

    const arm = await startArm({
      tls,
      directory,
      jwks: () => entra.jwks(),
      clock,
      behaviour: { ...layout.arm, ...options.arm }
    })
    stops.push(() => arm.stop())

    const proxy = await startProxy(host => {
      if (cloudOfLoginHost(host)) return entra.port
      if (cloudOfManagementHost(host)) return arm.port
      return emulator.portForHost(host)
    })
    stops.push(() => proxy.stop())

    let controlUrl: string | undefined
    if (options.control) {
      const control = await startControlServer(emulator)
      stops.push(() => control.stop())
      controlUrl = control.url
    }

    const app = layout.apps[0]
    const env: Record<string, string> = {
      AZURE_AUTHORITY_HOST: directory.cloudOf(directory.defaultTenant).authorityHost,
      AZURE_TENANT_ID: layout.tenantId,
      AZURE_CLIENT_ID: app.clientId
    }
    for (const tenant of layout.tenants.slice(1)) {
      if (!tenant.name) continue
      const key = envKey(tenant.name)
      const cloud = directory.cloudOf(tenant)
      env[`AZURE_TENANT_ID_${key}`] = tenant.tenantId
      if (tenant.apps[0]) env[`AZURE_CLIENT_ID_${key}`] = tenant.apps[0].clientId
      env[`AZURE_AUTHORITY_HOST_${key}`] = cloud.authorityHost
      env[`AZURE_ENVIRONMENT_${key}`] = cloud.name
    }
    Object.assign(env, {
      ...github.runEnv(),
      NODE_EXTRA_CA_CERTS: tls.caPath,
      REQUESTS_CA_BUNDLE: tls.caPath,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1,localhost,.localhost',
      TESTBED_ENTRA_LOCAL_URL: entra.url,
      TESTBED_ARM_LOCAL_URL: arm.url,
      ...(controlUrl ? { TESTBED_CONTROL_URL: controlUrl } : {})
    })
    // Lazily served vaults have no port yet: they are found through Resource Manager or the control server.
    for (const vault of emulator.vaults().filter(v => emulator.isListening(v.name))) {
      const key = envKey(vault.name)
      env[`KEYVAULT_${key}_URL`] = `https://${vault.name}.${directory.place(vault.config).cloud.vaultSuffix}`
      env[`KEYVAULT_${key}_LOCAL_URL`] = vault.localUrl
    }

    const credentialOptions = {
      authorityHost: entra.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: tls.caPem }
    }
    const credential = (tenantRef?: string): TokenCredential => {
      const tenant = tenantRef ? directory.tenant(tenantRef) : directory.defaultTenant
      const first = tenant?.apps[0]
      if (!tenant || !first) throw new Error(`no tenant with an app named ${tenantRef}`)
      return new ClientSecretCredential(
        tenant.tenantId,
        first.clientId,
        first.clientSecret ?? '',
        credentialOptions
      )
    }
    return {
      layout,
      directory,
      tls,
      clock,
      keyvault: emulator,
      entra,
      arm,
      github,
      proxy,
      controlUrl,
      env,
      credential,
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
