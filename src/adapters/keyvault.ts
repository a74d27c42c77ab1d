import type { TokenCredential } from '@azure/identity'
import { CertificateClient, type CertificateProperties } from '@azure/keyvault-certificates'
import { KeyClient, type KeyProperties } from '@azure/keyvault-keys'
import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets'
import type { VaultReader } from '../core/backup.js'
import type { VaultTarget } from '../core/cloud.js'
import type { VaultWriter } from '../core/restore.js'
import type { ItemType, VaultItem } from '../core/types.js'
import { keepAliveProxyAgent } from './proxy-agent.js'
import { refuseSecretValueReads } from './no-value-reads.js'

/** The slices of the three SDK clients backup and restore use. None of them returns a secret value. */
export type SecretsApi = Pick<
  SecretClient,
  | 'listPropertiesOfSecrets'
  | 'listPropertiesOfSecretVersions'
  | 'backupSecret'
  | 'restoreSecretBackup'
  | 'getDeletedSecret'
  | 'purgeDeletedSecret'
  | 'beginDeleteSecret'
  | 'beginRecoverDeletedSecret'
>
export type KeysApi = Pick<
  KeyClient,
  | 'listPropertiesOfKeys'
  | 'listPropertiesOfKeyVersions'
  | 'backupKey'
  | 'restoreKeyBackup'
  | 'getDeletedKey'
  | 'purgeDeletedKey'
  | 'beginDeleteKey'
  | 'beginRecoverDeletedKey'
>
export type CertificatesApi = Pick<
  CertificateClient,
  | 'listPropertiesOfCertificates'
  | 'listPropertiesOfCertificateVersions'
  | 'backupCertificate'
  | 'restoreCertificateBackup'
  | 'getDeletedCertificate'
  | 'purgeDeletedCertificate'
  | 'beginDeleteCertificate'
  | 'beginRecoverDeletedCertificate'
>

export interface VaultClients {
  secrets: SecretsApi
  keys: KeysApi
  certificates: CertificatesApi
}

/** Builds the three SDK clients for a vault with the options our rate control and hosts need. */
export function createVaultClients(
  vault: VaultTarget,
  credential: TokenCredential,
  userAgent: string
): VaultClients {
  const agent = keepAliveProxyAgent()
  const options = {
    // All retries go through our RateController: the SDK would throw a 429 without Retry-After at
    // once and retry 5xx on real timers, so two retry layers would multiply and be untestable.
    retryOptions: { maxRetries: 0 },
    // Kept for known Key Vault domains; relaxed only for private endpoints, custom domains and
    // loopback hosts, whose names cannot end with the challenge's resource host.
    disableChallengeResourceVerification: !vault.knownHost,
    userAgentOptions: { userAgentPrefix: userAgent },
    ...(agent && { agent })
  }
  return {
    // The SDK's recover poller would GET the secret (its value) to see whether recovery finished;
    // this policy refuses such reads before they leave the process, so no code path can read a value.
    secrets: new SecretClient(vault.url, credential, {
      ...options,
      additionalPolicies: [{ policy: refuseSecretValueReads, position: 'perCall' }]
    }),
    keys: new KeyClient(vault.url, credential, options),
    certificates: new CertificateClient(vault.url, credential, options)
  }
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

async function count(iterable: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const _ of iterable) n++
  return n
}

async function collect(type: ItemType, iterable: AsyncIterable<AnyProperties>): Promise<VaultItem[]> {
  const items: VaultItem[] = []
  for await (const p of iterable) items.push(toItem(type, p))
  return items
}

/** The `VaultReader` over real SDK clients (or any object with the same narrow shape). */
export class KeyVaultReader implements VaultReader {
  constructor(private readonly clients: VaultClients) {}

  /** Lists the latest-version properties of every object of a type. */
  listItems(type: ItemType): Promise<VaultItem[]> {
    switch (type) {
      case 'secrets':
        return collect(type, this.clients.secrets.listPropertiesOfSecrets())
      case 'keys':
        return collect(type, this.clients.keys.listPropertiesOfKeys())
      case 'certificates':
        return collect(type, this.clients.certificates.listPropertiesOfCertificates({ includePending: true }))
    }
  }

  /** Counts an object's versions by listing them (properties only). */
  countVersions(type: ItemType, name: string): Promise<number> {
    switch (type) {
      case 'secrets':
        return count(this.clients.secrets.listPropertiesOfSecretVersions(name))
      case 'keys':
        return count(this.clients.keys.listPropertiesOfKeyVersions(name))
      case 'certificates':
        return count(this.clients.certificates.listPropertiesOfCertificateVersions(name))
    }
  }

  /** The ids of every version of an object (properties only). */
  async listVersionIds(type: ItemType, name: string): Promise<string[]> {
    return (await listVersionProperties(this.clients, type, name)).map(p => p.version ?? '')
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

type VersionProperties = { version?: string; recoveryLevel?: string }

async function listVersionProperties(
  clients: VaultClients,
  type: ItemType,
  name: string
): Promise<VersionProperties[]> {
  const iterable: AsyncIterable<VersionProperties> =
    type === 'secrets'
      ? clients.secrets.listPropertiesOfSecretVersions(name)
      : type === 'keys'
        ? clients.keys.listPropertiesOfKeyVersions(name)
        : clients.certificates.listPropertiesOfCertificateVersions(name)
  const all: VersionProperties[] = []
  for await (const p of iterable) all.push(p)
  return all
}

const isNotFound = (error: unknown): boolean => (error as { statusCode?: unknown } | null)?.statusCode === 404

/**
 * The `VaultWriter` over real SDK clients. Long-running operations are only started here (the SDK
 * pollers wait on real 2 s timers); the core polls with its injected clock instead.
 */
export class KeyVaultWriter implements VaultWriter {
  constructor(private readonly clients: VaultClients) {}

  /** Version ids of the active object, or none; a name with no active object lists no versions. */
  async listVersions(
    type: ItemType,
    name: string
  ): Promise<{ versionIds: string[]; recoveryLevel?: string }> {
    try {
      const all = await listVersionProperties(this.clients, type, name)
      const recoveryLevel = all.find(p => p.recoveryLevel)?.recoveryLevel
      return { versionIds: all.map(p => p.version ?? ''), ...(recoveryLevel && { recoveryLevel }) }
    } catch (error) {
      if (isNotFound(error)) return { versionIds: [] }
      throw error
    }
  }

  /** The soft-deleted object's recovery level and purge date, or undefined on 404. */
  async getDeleted(
    type: ItemType,
    name: string
  ): Promise<{ recoveryLevel?: string; scheduledPurgeDate?: string } | undefined> {
    let deleted: { properties?: { recoveryLevel?: string }; scheduledPurgeDate?: Date }
    try {
      deleted =
        type === 'secrets'
          ? await this.clients.secrets.getDeletedSecret(name)
          : type === 'keys'
            ? await this.clients.keys.getDeletedKey(name)
            : await this.clients.certificates.getDeletedCertificate(name)
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
    const recoveryLevel = deleted.properties?.recoveryLevel
    const date = deleted.scheduledPurgeDate
    return {
      ...(recoveryLevel && { recoveryLevel }),
      ...(date && { scheduledPurgeDate: date.toISOString() })
    }
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
