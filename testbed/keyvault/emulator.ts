/**
 * The Key Vault emulator: one HTTPS server per vault on 127.0.0.1 (the test bed's CONNECT proxy maps
 * `<name>.vault.azure.net`, `<name>.vault.usgovcloudapi.net` and `<name>.vault.azure.cn` to it), bearer
 * tokens checked against the fake Entra's keys for the vault's tenant and cloud, per-vault behaviour
 * (asynchronous windows, throttling, latency, faults) and a shared request log. A vault added lazily
 * costs no server until its host name is first connected to (`portForHost`) or `listen` is called.
 */
import type { JsonWebKey } from 'node:crypto'
import { CLOUDS, parseVaultHost, type Cloud } from '../clouds.js'
import { TestClock } from '../clock.js'
import type { RoleAssignment, VaultConfig } from '../config.js'
import { inheritRoleAssignments, vaultAudience } from './auth.js'
import { defaultBehaviour, mergeBehaviour, type VaultBehaviour } from './behaviour.js'
import type { SeedCertificateOptions } from './certificates.js'
import { VaultServer, type RequestLogEntry, type VaultState } from './vault.js'

export type { VaultBehaviour } from './behaviour.js'
export type { SeedCertificateOptions } from './certificates.js'
export type { RequestLogEntry, VaultState, KindState, ItemState } from './vault.js'

export interface KeyVaultEmulatorOptions {
  /** From testbed/ca.ts createTlsMaterial(). */
  tls: { cert: string; key: string }
  /** The tenant of vaults that `placement` does not place (the only one without it). */
  tenantId: string
  /** Entra's public keys (a function: they may rotate). */
  jwks: () => JsonWebKey[]
  clock?: TestClock
  /** Overrides the authority of every WWW-Authenticate challenge (default: the vault's cloud's). */
  authorityHost?: string
  /** The tenant and cloud of a vault (default: `tenantId`, the public cloud). */
  placement?: (config: VaultConfig) => { tenantId: string; cloud: Cloud }
  /** Role assignments a vault inherits from its subscription and resource group (default none). */
  inheritedAssignments?: (config: VaultConfig) => readonly RoleAssignment[]
  /** Default behaviour of every vault. */
  behaviour?: Partial<VaultBehaviour>
}

export interface EmulatedVault {
  readonly name: string
  readonly port: number
  readonly localUrl: string
  readonly config: VaultConfig
  behaviour: VaultBehaviour
  seedSecret(
    name: string,
    value: string,
    opts?: { tags?: Record<string, string>; contentType?: string; enabled?: boolean; versions?: number }
  ): void
  seedKey(
    name: string,
    opts?: { kty?: 'RSA' | 'EC'; tags?: Record<string, string>; enabled?: boolean; versions?: number }
  ): void
  /** A self-signed RSA certificate; options for non-exportable keys and per-version content types. */
  seedCertificate(name: string, opts?: SeedCertificateOptions): void
  state(): VaultState
  /** Refills the throttle's token bucket, as after an idle period (the benchmark starts each run so). */
  refillThrottle(): void
}

export interface KeyVaultEmulator {
  /** Adds a vault and starts its server, unless `lazy` (then the first connection or `listen` starts it). */
  addVault(
    config: VaultConfig,
    behaviour?: Partial<VaultBehaviour>,
    options?: { lazy?: boolean }
  ): Promise<EmulatedVault>
  vault(name: string): EmulatedVault
  vaults(): EmulatedVault[]
  /** How many vaults there are (cheaper than `vaults().length`). */
  readonly size: number
  /** Starts a lazily added vault's server (no-op when it runs); its `port` and `localUrl` are valid after. */
  listen(name: string): Promise<EmulatedVault>
  isListening(name: string): boolean
  /**
   * The local port for a vault host name of any cloud (`prod.vault.azure.net`), starting the vault's
   * server if needed; undefined for an unknown vault or a vault of another cloud.
   */
  portForHost(host: string): Promise<number | undefined>
  readonly clock: TestClock
  readonly requestLog: RequestLogEntry[]
  clearLog(): void
  stop(): Promise<void>
}

/** Starts an emulator with no vaults; add them with `addVault`. */
export async function startKeyVaultEmulator(opts: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const clock = opts.clock ?? new TestClock()
  const base = mergeBehaviour(defaultBehaviour(), opts.behaviour)
  const vaults = new Map<string, VaultServer>()
  const started = new Map<string, Promise<void>>()
  const cloudOf = new Map<string, Cloud>()
  const requestLog: RequestLogEntry[] = []
  const placement = opts.placement ?? (() => ({ tenantId: opts.tenantId, cloud: CLOUDS.AzureCloud as Cloud }))
  const shared = {
    clock,
    jwks: opts.jwks,
    tls: opts.tls,
    log: (entry: RequestLogEntry) => {
      requestLog.push(entry)
    }
  }
  const find = (name: string): VaultServer => {
    const vault = vaults.get(name.toLowerCase())
    if (!vault) throw new Error(`unknown vault ${name}`)
    return vault
  }
  const listen = async (name: string): Promise<VaultServer> => {
    const vault = find(name)
    const key = vault.name.toLowerCase()
    let listening = started.get(key)
    if (!listening) {
      listening = vault.listen()
      started.set(key, listening)
      // A failed start may be retried by the next connection.
      listening.catch(() => started.delete(key))
    }
    await listening
    return vault
  }
  return {
    clock,
    requestLog,
    async addVault(config, behaviour, options = {}) {
      const key = config.name.toLowerCase()
      if (vaults.has(key)) throw new Error(`vault ${config.name} already exists`)
      const { tenantId, cloud } = placement(config)
      const audience = vaultAudience(tenantId, cloud, opts.authorityHost)
      const inherited = opts.inheritedAssignments
      if (inherited) inheritRoleAssignments(config, () => inherited(config))
      const vault = new VaultServer(config, mergeBehaviour(base, behaviour), { ...shared, audience })
      vaults.set(key, vault)
      cloudOf.set(key, cloud)
      if (!options.lazy) await listen(config.name)
      return vault
    },
    vault: find,
    vaults: () => [...vaults.values()],
    get size() {
      return vaults.size
    },
    listen,
    isListening: name => started.has(name.toLowerCase()),
    async portForHost(host) {
      const parsed = parseVaultHost(host)
      if (!parsed || !vaults.has(parsed.name) || cloudOf.get(parsed.name) !== parsed.cloud) return undefined
      return (await listen(parsed.name)).port
    },
    clearLog() {
      requestLog.length = 0
    },
    async stop() {
      await Promise.allSettled(started.values())
      await Promise.all([...vaults.values()].map(v => v.close()))
      vaults.clear()
      started.clear()
    }
  }
}
