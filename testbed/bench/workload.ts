/**
 * The benchmark's workload: N items, 70% secrets, 20% keys, 10% certificates, 1-5 versions each,
 * and the transaction counts the lower bounds are computed from.
 */
import type { EmulatedVault } from '../keyvault/emulator.js'

export type ItemType = 'secrets' | 'keys' | 'certificates'

export interface WorkloadItem {
  type: ItemType
  name: string
  versions: number
}

export interface SeedOptions {
  /** Share of keys generated as RSA 2048 (the rest EC P-256). RSA generation costs ~50 ms per version. */
  rsaKeyShare: number
}

/** Key Vault lists 25 items (or versions) per page by default. */
export const PAGE_SIZE = 25

/** The deterministic item plan for N items. */
export function planWorkload(count: number): WorkloadItem[] {
  const items: WorkloadItem[] = []
  for (let i = 0; i < count; i++) {
    const slot = i % 10
    const type: ItemType = slot < 7 ? 'secrets' : slot < 9 ? 'keys' : 'certificates'
    // A multiplicative hash spreads 1-5 versions evenly without a visible pattern per type.
    const versions = 1 + ((Math.imul(i + 1, 2654435761) >>> 0) % 5)
    items.push({ type, name: `${type.slice(0, -1)}-${String(i).padStart(5, '0')}`, versions })
  }
  return items
}

/** Seeds the planned items into a vault through the emulator's seeding API (no HTTP, no throttle). */
export function seedWorkload(vault: EmulatedVault, items: WorkloadItem[], options: SeedOptions): void {
  let keyIndex = 0
  for (const item of items) {
    const tags = { app: `app-${item.name.length % 7}`, bench: 'true' }
    if (item.type === 'secrets') {
      vault.seedSecret(item.name, `bench-value-${item.name}`, { versions: item.versions, tags })
    } else if (item.type === 'keys') {
      // Evenly spread RSA keys: with share 0.25, every fourth key is RSA.
      const rsa =
        Math.floor((keyIndex + 1) * options.rsaKeyShare) > Math.floor(keyIndex * options.rsaKeyShare)
      keyIndex++
      vault.seedKey(item.name, { kty: rsa ? 'RSA' : 'EC', versions: item.versions, tags })
    } else {
      vault.seedCertificate(item.name, { versions: item.versions, tags })
    }
  }
}

export interface TransactionCounts {
  /** Listing pages: each type's listing also returns certificate-owned keys and secrets. */
  listPages: number
  /** One version listing page per 25 versions per item. */
  versionPages: number
  /** One backup (or restore) call per item. */
  itemCalls: number
}

/** Transactions the specified backup needs: list each type, count each item's versions, back it up. */
export function backupTransactions(items: WorkloadItem[]): TransactionCounts {
  const perType = { secrets: 0, keys: 0, certificates: 0 }
  for (const item of items) perType[item.type]++
  // A certificate owns a key and a secret of the same name, which show up in those listings.
  const listed = [
    perType.secrets + perType.certificates,
    perType.keys + perType.certificates,
    perType.certificates
  ]
  return {
    listPages: listed.reduce((sum, n) => sum + Math.max(1, Math.ceil(n / PAGE_SIZE)), 0),
    versionPages: items.reduce((sum, item) => sum + Math.ceil(item.versions / PAGE_SIZE), 0),
    itemCalls: items.length
  }
}

/** Sum of a count. */
export function total(counts: TransactionCounts): number {
  return counts.listPages + counts.versionPages + counts.itemCalls
}

/**
 * Transactions a restore into an empty vault needs: list the target's active and deleted objects of
 * each type (the plan), restore each item, list each item's versions (the verification).
 */
export function restoreTransactions(items: WorkloadItem[]): TransactionCounts {
  return {
    listPages: 6,
    versionPages: items.reduce((sum, item) => sum + Math.ceil(item.versions / PAGE_SIZE), 0),
    itemCalls: items.length
  }
}
