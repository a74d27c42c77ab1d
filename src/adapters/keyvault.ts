import type { TokenCredential } from '@azure/identity'
import { CertificateClient, type CertificateProperties } from '@azure/keyvault-certificates'
import { KeyClient, type KeyProperties } from '@azure/keyvault-keys'
import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets'
import type { VaultReader } from '../core/backup.js'
import type { VaultTarget } from '../core/cloud.js'
import type { ItemType, VaultItem } from '../core/types.js'

/** The slices of the three SDK clients backup uses: listing properties and `backup*`. No value reads. */
export type SecretsApi = Pick<
  SecretClient,
  'listPropertiesOfSecrets' | 'listPropertiesOfSecretVersions' | 'backupSecret'
>
export type KeysApi = Pick<KeyClient, 'listPropertiesOfKeys' | 'listPropertiesOfKeyVersions' | 'backupKey'>
export type CertificatesApi = Pick<
  CertificateClient,
  'listPropertiesOfCertificates' | 'listPropertiesOfCertificateVersions' | 'backupCertificate'
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
  const options = {
    // All retries go through our RateController: the SDK would throw a 429 without Retry-After at
    // once and retry 5xx on real timers, so two retry layers would multiply and be untestable.
    retryOptions: { maxRetries: 0 },
    // Kept for known Key Vault domains; relaxed only for private endpoints, custom domains and
    // loopback hosts, whose names cannot end with the challenge's resource host.
    disableChallengeResourceVerification: !vault.knownHost,
    userAgentOptions: { userAgentPrefix: userAgent }
  }
  return {
    secrets: new SecretClient(vault.url, credential, options),
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
