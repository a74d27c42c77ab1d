/**
 * The copy benchmark's workload and transaction counts: S secrets (1-3 versions each, of which
 * `versions: latest` copies the current one) and C certificates, copied into an empty vault of the
 * same tenant. The throttling bound of a copy is the busiest vault's: each vault has its own limit.
 */
import type { EmulatedVault } from '../keyvault/emulator.js'
import { PAGE_SIZE } from './workload.js'

export interface CopyWorkload {
  secrets: number
  certificates: number
}

/** Seeds the copy's source through the emulator's seeding API (no HTTP, no throttle). */
export function seedCopyWorkload(vault: EmulatedVault, workload: CopyWorkload): void {
  for (let i = 0; i < workload.secrets; i++) {
    vault.seedSecret(`copy-secret-${String(i).padStart(5, '0')}`, `copy-value-${i}-${'x'.repeat(i % 64)}`, {
      versions: 1 + (i % 3),
      tags: { app: `app-${i % 7}`, bench: 'copy' },
      ...(i % 5 === 0 && { contentType: 'text/plain' })
    })
  }
  for (let i = 0; i < workload.certificates; i++) {
    vault.seedCertificate(`copy-cert-${String(i).padStart(3, '0')}`, { tags: { bench: 'copy' } })
  }
}

/** Transactions one vault serves in a copy, by kind. */
export interface VaultCounts {
  /** The sign-in's access check: one listing call of the first type. */
  accessCheck: number
  /** Listing pages (the source's selection; the target's active and deleted names, per type). */
  listPages: number
  /** Reads of single objects: values, certificate policies and version listings. */
  reads: number
  /** Writes: setSecret and importCertificate. */
  writes: number
}

export interface CopyCounts {
  source: VaultCounts
  target: VaultCounts
}

const pages = (n: number): number => Math.max(1, Math.ceil(n / PAGE_SIZE))

/**
 * What a copy with `versions: latest` into an empty target needs of each vault:
 *
 * - Source: the access check; the secrets listing (which also lists the certificates' own secrets)
 *   and the certificates listing; one value read per secret; per certificate its policy, its
 *   version listing (one page: its latest version's thumbprint, enabled flag and tags) and its
 *   exported secret.
 * - Target: the access check; per type, one page of active names and one of deleted names (empty
 *   vault); one write per item.
 *
 * `certificateReads` is 3 (policy, versions, export); 2 when the policy and the latest version
 * come from one getCertificate.
 */
export function copyTransactions(workload: CopyWorkload, certificateReads = 3): CopyCounts {
  const { secrets, certificates } = workload
  return {
    source: {
      accessCheck: 1,
      listPages: pages(secrets + certificates) + (certificates > 0 ? pages(certificates) : 0),
      reads: secrets + certificateReads * certificates,
      writes: 0
    },
    target: {
      accessCheck: 1,
      listPages: 2 * ((secrets > 0 ? 1 : 0) + (certificates > 0 ? 1 : 0)),
      reads: 0,
      writes: secrets + certificates
    }
  }
}

export function vaultTotal(counts: VaultCounts): number {
  return counts.accessCheck + counts.listPages + counts.reads + counts.writes
}

/** The busiest vault's transactions: the throttling bound is these over one vault's rate. */
export function busiest(counts: CopyCounts): { vault: 'source' | 'target'; transactions: number } {
  const source = vaultTotal(counts.source)
  const target = vaultTotal(counts.target)
  return source >= target
    ? { vault: 'source', transactions: source }
    : { vault: 'target', transactions: target }
}

/** What a sequential get/set loop needs: the source's listings, one read and one write per item. */
export function loopCopyTransactions(workload: CopyWorkload): CopyCounts {
  const { secrets, certificates } = workload
  return {
    source: {
      accessCheck: 0,
      listPages: pages(secrets + certificates) + (certificates > 0 ? pages(certificates) : 0),
      reads: secrets + certificates,
      writes: 0
    },
    target: { accessCheck: 0, listPages: 0, reads: 0, writes: secrets + certificates }
  }
}

/** Items in the target, and how many of them hold more than one version (a duplicated write). */
export function targetTally(vault: EmulatedVault): { items: number; multiVersion: number } {
  const state = vault.state()
  const active = [...state.secrets.active, ...state.certificates.active].filter(i => !i.managed)
  return { items: active.length, multiVersion: active.filter(i => i.versions.length !== 1).length }
}
