/**
 * The Key Vault emulator: one HTTPS server per vault on 127.0.0.1 (the lead's CONNECT proxy maps
 * `<name>.vault.azure.net` to it), bearer tokens checked against the fake Entra's keys, per-vault
 * behaviour (asynchronous windows, throttling, latency, faults) and a shared request log.
 */
import type { JsonWebKey } from 'node:crypto'
import { TestClock } from '../clock.js'
import type { VaultConfig } from '../config.js'
import { defaultBehaviour, mergeBehaviour, type VaultBehaviour } from './behaviour.js'
import { VaultServer, type RequestLogEntry, type VaultState } from './vault.js'

export type { VaultBehaviour } from './behaviour.js'
export type { RequestLogEntry, VaultState, KindState, ItemState } from './vault.js'

export interface KeyVaultEmulatorOptions {
  /** From testbed/ca.ts createTlsMaterial(). */
  tls: { cert: string; key: string }
  tenantId: string
  /** Entra's public keys (a function: they may rotate). */
  jwks: () => JsonWebKey[]
  clock?: TestClock
  /** For the WWW-Authenticate challenge; default https://login.microsoftonline.com. */
  authorityHost?: string
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
  seedCertificate(name: string, opts?: { tags?: Record<string, string>; versions?: number }): void
  state(): VaultState
  /** Refills the throttle's token bucket, as after an idle period (the benchmark starts each run so). */
  refillThrottle(): void
}

export interface KeyVaultEmulator {
  addVault(config: VaultConfig, behaviour?: Partial<VaultBehaviour>): Promise<EmulatedVault>
  vault(name: string): EmulatedVault
  vaults(): EmulatedVault[]
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
  const requestLog: RequestLogEntry[] = []
  const shared = {
    clock,
    tenantId: opts.tenantId,
    authorityHost: opts.authorityHost ?? 'https://login.microsoftonline.com',
    jwks: opts.jwks,
    tls: opts.tls,
    log: (entry: RequestLogEntry) => {
      requestLog.push(entry)
    }
  }
  return {
    clock,
    requestLog,
    async addVault(config, behaviour) {
      const key = config.name.toLowerCase()
      if (vaults.has(key)) throw new Error(`vault ${config.name} already exists`)
      const vault = new VaultServer(config, mergeBehaviour(base, behaviour), shared)
      await vault.listen()
      vaults.set(key, vault)
      return vault
    },
    vault(name) {
      const vault = vaults.get(name.toLowerCase())
      if (!vault) throw new Error(`unknown vault ${name}`)
      return vault
    },
    vaults: () => [...vaults.values()],
    clearLog() {
      requestLog.length = 0
    },
    async stop() {
      await Promise.all([...vaults.values()].map(v => v.close()))
      vaults.clear()
    }
  }
}
