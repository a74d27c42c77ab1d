import type { TokenCredential } from '@azure/identity'
import { CertificateClient, type CertificateProperties } from '@azure/keyvault-certificates'
import { KeyClient, type KeyProperties } from '@azure/keyvault-keys'
import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets'
import type { VaultReader } from '../core/backup.js'
import type { VaultTarget } from '../core/cloud.js'
import type { RequestPace } from '../core/pace.js'
import type { Page } from '../core/paging.js'
import type { DeletedName, TargetName, VaultWriter } from '../core/restore.js'
import type { ItemType, VaultItem } from '../core/types.js'
import { pacePolicy, regionPolicy, requestGuard, type VaultCapability } from './policies.js'
import { keepAliveProxyAgent } from './proxy-agent.js'
import { pageLinkPolicy, readPage } from './paging.js'

/** The three SDK clients of one vault; what they may send is limited by their request guard. */
export interface VaultClients {
  secrets: SecretClient
  keys: KeyClient
  certificates: CertificateClient
}

export interface VaultClientOptions {
  /** `keyvault-backup/<version>`, before the SDK's own User-Agent. */
  userAgent: string
  /** The vault's pace: every HTTP request waits for room in its window. */
  pace: RequestPace
  /** What the operation may send; everything else is refused before it leaves the process. */
  allow: readonly VaultCapability[]
  /** Told the vault's region from its answers. */
  onRegion: (region: string) => void
}

/** Builds the three SDK clients for a vault, sharing one credential, one pace and one guard. */
export function createVaultClients(
  vault: VaultTarget,
  credential: TokenCredential,
  settings: VaultClientOptions
): VaultClients {
  const agent = keepAliveProxyAgent()
  const options = {
    // All retries go through our RateController: the SDK would throw a 429 without Retry-After at
    // once and retry 5xx on real timers, so two retry layers would multiply and be untestable.
    retryOptions: { maxRetries: 0 },
    // Kept for known Key Vault domains; relaxed only for private endpoints, custom domains and
    // loopback hosts, whose names cannot end with the challenge's resource host.
    disableChallengeResourceVerification: !vault.knownHost,
    userAgentOptions: { userAgentPrefix: settings.userAgent },
    ...(agent && { agent }),
    additionalPolicies: [
      // Lets a failed listing page be retried alone: see pageLinkPolicy.
      { policy: pageLinkPolicy, position: 'perCall' as const },
      { policy: requestGuard(settings.allow), position: 'perCall' as const },
      { policy: regionPolicy(settings.onRegion), position: 'perCall' as const },
      { policy: pacePolicy(settings.pace), position: 'perRetry' as const }
    ]
  }
  return {
    secrets: new SecretClient(vault.url, credential, options),
    keys: new KeyClient(vault.url, credential, options),
    certificates: new CertificateClient(vault.url, credential, options)
  }
}

/**
 * The first call of a run to a vault: one page of one item of a type's listing. It signs in (the
 * challenge names the vault's tenant), reaches the vault, and needs the list permission, so every
 * set-up mistake shows here, once, before any other call.
 */
export async function checkAccess(clients: VaultClients, type: ItemType): Promise<void> {
  await activePage(clients, type, undefined, 1)
}

type AnyProperties = (SecretProperties | KeyProperties | CertificateProperties) & {
  managed?: boolean
  contentType?: string
}

function toItem(type: ItemType, p: AnyProperties): VaultItem {
  return {
    type,
    name: p.name ?? '',
    enabled: p.enabled !== false,
    managed: p.managed === true,
    ...(p.contentType !== undefined && { contentType: p.contentType }),
    tags: { ...(p.tags ?? {}) },
    ...(p.updatedOn && { updatedOn: p.updatedOn.toISOString() }),
    ...(p.recoveryLevel && { recoveryLevel: p.recoveryLevel })
  }
}

type AnyDeleted = {
  name?: string
  properties?: { name?: string; recoveryLevel?: string; scheduledPurgeDate?: Date }
  recoveryLevel?: string
  scheduledPurgeDate?: Date
}

/** A soft-deleted object's name, recovery level and purge date, wherever the SDK of its type puts them. */
function toDeleted(d: AnyDeleted): DeletedName {
  const recoveryLevel = d.properties?.recoveryLevel ?? d.recoveryLevel
  const date = d.scheduledPurgeDate ?? d.properties?.scheduledPurgeDate
  return {
    name: d.name ?? d.properties?.name ?? '',
    ...(recoveryLevel && { recoveryLevel }),
    ...(date && { scheduledPurgeDate: date.toISOString() })
  }
}

const mapPage = <T, U>(page: Page<T>, map: (t: T) => U): Page<U> => ({
  items: page.items.map(map),
  ...(page.continuationToken && { continuationToken: page.continuationToken })
})

// Every listing goes through `readPage`: one page per call, so the caller retries a failed page
// alone and resumes from the last continuation token.
function activePage(clients: VaultClients, type: ItemType, token: string | undefined, pageSize?: number) {
  switch (type) {
    case 'secrets':
      return readPage<AnyProperties>(
        s => clients.secrets.listPropertiesOfSecrets().byPage(s),
        token,
        pageSize
      )
    case 'keys':
      return readPage<AnyProperties>(s => clients.keys.listPropertiesOfKeys().byPage(s), token, pageSize)
    case 'certificates':
      return readPage<AnyProperties>(
        s => clients.certificates.listPropertiesOfCertificates({ includePending: true }).byPage(s),
        token,
        pageSize
      )
  }
}

function deletedPage(clients: VaultClients, type: ItemType, token: string | undefined) {
  switch (type) {
    case 'secrets':
      return readPage<AnyDeleted>(s => clients.secrets.listDeletedSecrets().byPage(s), token)
    case 'keys':
      return readPage<AnyDeleted>(s => clients.keys.listDeletedKeys().byPage(s), token)
    case 'certificates':
      return readPage<AnyDeleted>(
        s => clients.certificates.listDeletedCertificates({ includePending: true }).byPage(s),
        token
      )
  }
}

type VersionProperties = { version?: string; recoveryLevel?: string }

function versionPage(
  clients: VaultClients,
  type: ItemType,
  name: string,
  token: string | undefined
): Promise<Page<VersionProperties>> {
  switch (type) {
    case 'secrets':
      return readPage(s => clients.secrets.listPropertiesOfSecretVersions(name).byPage(s), token)
    case 'keys':
      return readPage(s => clients.keys.listPropertiesOfKeyVersions(name).byPage(s), token)
    case 'certificates':
      return readPage(s => clients.certificates.listPropertiesOfCertificateVersions(name).byPage(s), token)
  }
}

/** The `VaultReader` over real SDK clients (or any object with the same narrow shape). */
export class KeyVaultReader implements VaultReader {
  constructor(private readonly clients: VaultClients) {}

  /** One page of the latest-version properties of every object of a type. */
  async listItems(type: ItemType, continuationToken?: string): Promise<Page<VaultItem>> {
    return mapPage(await activePage(this.clients, type, continuationToken), p => toItem(type, p))
  }

  /** One page of an object's version ids (properties only). */
  async listVersionIds(type: ItemType, name: string, continuationToken?: string): Promise<Page<string>> {
    return mapPage(await versionPage(this.clients, type, name, continuationToken), p => p.version ?? '')
  }

  /** Fetches the object's backup blob (all versions, encrypted by the service). */
  async backup(type: ItemType, name: string): Promise<Uint8Array> {
    const blob =
      type === 'secrets'
        ? await this.clients.secrets.backupSecret(name)
        : type === 'keys'
          ? await this.clients.keys.backupKey(name)
          : await this.clients.certificates.backupCertificate(name)
    if (!blob || blob.length === 0)
      throw new Error(`the vault returned an empty backup for ${type} '${name}'`)
    return blob
  }
}

const isNotFound = (error: unknown): boolean => (error as { statusCode?: unknown } | null)?.statusCode === 404

/**
 * The `VaultWriter` over real SDK clients. Long-running operations are only started here (the SDK
 * pollers wait on real 2 s timers); the core polls with its injected clock instead.
 */
export class KeyVaultWriter implements VaultWriter {
  constructor(private readonly clients: VaultClients) {}

  /** One page of the active object's version ids; a name with no active object lists no versions. */
  async listVersions(
    type: ItemType,
    name: string,
    continuationToken?: string
  ): Promise<{ versionIds: string[]; recoveryLevel?: string; continuationToken?: string }> {
    let page: Page<VersionProperties>
    try {
      page = await versionPage(this.clients, type, name, continuationToken)
    } catch (error) {
      if (isNotFound(error)) return { versionIds: [] }
      throw error
    }
    const recoveryLevel = page.items.find(p => p.recoveryLevel)?.recoveryLevel
    return {
      versionIds: page.items.map(p => p.version ?? ''),
      ...(recoveryLevel && { recoveryLevel }),
      ...(page.continuationToken && { continuationToken: page.continuationToken })
    }
  }

  /** One page of the type's active objects (pending certificates included): names, recovery levels, owners. */
  async listActive(type: ItemType, continuationToken?: string): Promise<Page<TargetName>> {
    return mapPage(await activePage(this.clients, type, continuationToken), p => ({
      name: p.name ?? '',
      ...(p.recoveryLevel && { recoveryLevel: p.recoveryLevel }),
      ...(p.managed && { managed: true })
    }))
  }

  /** One page of the type's soft-deleted objects with their recovery levels and purge dates. */
  async listDeleted(type: ItemType, continuationToken?: string): Promise<Page<DeletedName>> {
    return mapPage(await deletedPage(this.clients, type, continuationToken), toDeleted)
  }

  /** Restores one blob (all versions, under the blob's own name). */
  async restore(type: ItemType, blob: Uint8Array): Promise<void> {
    if (type === 'secrets') await this.clients.secrets.restoreSecretBackup(blob)
    else if (type === 'keys') await this.clients.keys.restoreKeyBackup(blob)
    else await this.clients.certificates.restoreCertificateBackup(blob)
  }

  /** Sends the DELETE; the returned poller is dropped (we poll the deleted view ourselves). */
  async startDelete(type: ItemType, name: string): Promise<void> {
    if (type === 'secrets') await this.clients.secrets.beginDeleteSecret(name)
    else if (type === 'keys') await this.clients.keys.beginDeleteKey(name)
    else await this.clients.certificates.beginDeleteCertificate(name)
  }

  /** Purges a soft-deleted object; the name stays taken for a few seconds afterwards. */
  async purge(type: ItemType, name: string): Promise<void> {
    if (type === 'secrets') await this.clients.secrets.purgeDeletedSecret(name)
    else if (type === 'keys') await this.clients.keys.purgeDeletedKey(name)
    else await this.clients.certificates.purgeDeletedCertificate(name)
  }

  /** Sends the recover request; the returned poller is dropped. */
  async startRecover(type: ItemType, name: string): Promise<void> {
    if (type === 'secrets') await this.clients.secrets.beginRecoverDeletedSecret(name)
    else if (type === 'keys') await this.clients.keys.beginRecoverDeletedKey(name)
    else await this.clients.certificates.beginRecoverDeletedCertificate(name)
  }
}
