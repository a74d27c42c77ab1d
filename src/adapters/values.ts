import type { ImportCertificateOptions } from '@azure/keyvault-certificates'
import type { CopiedPolicy, SecretVersionShape } from '../core/copy.js'
import type { Page } from '../core/paging.js'
import type { ItemType } from '../core/types.js'
import type { VaultClients } from './keyvault.js'
import { readPage } from './paging.js'

/**
 * The one place that reads and writes values: copy's source and target. Every value read is
 * masked before it is returned, so nothing downstream (a log line, an error) can print it; values
 * are held in memory only, never hashed, never written anywhere but the target vault.
 */

/** One version of an object as its version listing shows it (no value). */
export interface VersionInfo {
  version: string
  enabled: boolean
  /** Unix seconds. */
  createdOn?: number
  contentType?: string
  tags: Record<string, string>
  notBefore?: number
  expiresOn?: number
  /** Certificates: hex SHA-1 of the DER. */
  thumbprint?: string
}

/** A certificate's backing secret: the PFX (base64) or PEM text the service exports. */
export interface CertificateExport {
  value: string
  format: 'pfx' | 'pem'
  /** False when the bytes hold no private key (PEM without a key block). */
  hasPrivateKey: boolean
}

/** A certificate's policy as copy reads it: what it carries, its issuer, and exportability. */
export interface SourcePolicy {
  copied: CopiedPolicy
  issuerName?: string
  contentType?: string
}

const PFX = 'application/x-pkcs12'
const PEM = 'application/x-pem-file'
const seconds = (date: Date | undefined): number | undefined =>
  date ? Math.floor(date.getTime() / 1000) : undefined

type AnyVersion = {
  version?: string
  enabled?: boolean
  createdOn?: Date
  contentType?: string
  tags?: Record<string, string>
  notBefore?: Date
  expiresOn?: Date
  x509Thumbprint?: Uint8Array
}

function toVersion(p: AnyVersion): VersionInfo {
  return {
    version: p.version ?? '',
    enabled: p.enabled !== false,
    ...(p.createdOn && { createdOn: seconds(p.createdOn) }),
    ...(p.contentType !== undefined && { contentType: p.contentType }),
    tags: { ...(p.tags ?? {}) },
    ...(p.notBefore && { notBefore: seconds(p.notBefore) }),
    ...(p.expiresOn && { expiresOn: seconds(p.expiresOn) }),
    ...(p.x509Thumbprint && { thumbprint: Buffer.from(p.x509Thumbprint).toString('hex') })
  }
}

/** A read answered 404 (nothing there) or 403 (a disabled version, or no permission to read). */
function isNotReadable(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  return status === 404 || status === 403
}

/** Values of one vault, read (masked at once) or written, over the vault's SDK clients. */
export class VaultValues {
  constructor(
    private readonly clients: VaultClients,
    /** Registers a value as a secret of the log (each line of it too). */
    private readonly mask: (value: string) => void
  ) {}

  /** One page of an object's versions with their properties (no value). */
  async versionPage(type: ItemType, name: string, token?: string): Promise<Page<VersionInfo>> {
    const page =
      type === 'secrets'
        ? await readPage<AnyVersion>(
            s => this.clients.secrets.listPropertiesOfSecretVersions(name).byPage(s),
            token
          )
        : type === 'certificates'
          ? await readPage<AnyVersion>(
              s => this.clients.certificates.listPropertiesOfCertificateVersions(name).byPage(s),
              token
            )
          : await readPage<AnyVersion>(
              s => this.clients.keys.listPropertiesOfKeyVersions(name).byPage(s),
              token
            )
    return {
      items: page.items.map(toVersion),
      ...(page.continuationToken && { continuationToken: page.continuationToken })
    }
  }

  /** A secret version's value, masked before anything else sees it. */
  async secretValue(name: string, version: string): Promise<string> {
    const secret = await this.clients.secrets.getSecret(name, { version })
    const value = secret.value ?? ''
    this.mask(value)
    return value
  }

  /** The secret's current version: its value (masked at once) and properties. */
  async latestSecret(name: string): Promise<{ value: string; version: VersionInfo }> {
    const secret = await this.clients.secrets.getSecret(name)
    const value = secret.value ?? ''
    this.mask(value)
    return { value, version: toVersion(secret.properties) }
  }

  /**
   * The secret's current version (value masked at once), or undefined when there is none to read:
   * 404 (no such secret) or 403 (its current version is disabled, or reading is not allowed).
   */
  async currentSecret(name: string): Promise<{ value: string; version: VersionInfo } | undefined> {
    try {
      return await this.latestSecret(name)
    } catch (error) {
      if (isNotReadable(error)) return undefined
      throw error
    }
  }

  /** Writes one secret version with its content type, tags, enabled flag and dates; returns its version id. */
  async setSecret(name: string, version: SecretVersionShape): Promise<string | undefined> {
    const written = await this.clients.secrets.setSecret(name, version.value, {
      ...(version.contentType !== undefined && { contentType: version.contentType }),
      tags: version.tags,
      enabled: version.enabled,
      ...(version.notBefore !== undefined && { notBefore: new Date(version.notBefore * 1000) }),
      ...(version.expiresOn !== undefined && { expiresOn: new Date(version.expiresOn * 1000) })
    })
    return written.properties.version
  }

  /** A certificate's policy as copy carries it. */
  async certificatePolicy(name: string): Promise<SourcePolicy> {
    const p = await this.clients.certificates.getCertificatePolicy(name)
    return {
      copied: {
        ...(p.keyType && { keyType: p.keyType }),
        ...(p.keySize !== undefined && { keySize: p.keySize }),
        ...(p.keyCurveName && { keyCurveName: p.keyCurveName }),
        ...(p.exportable !== undefined && { exportable: p.exportable }),
        ...(p.reuseKey !== undefined && { reuseKey: p.reuseKey }),
        emailBeforeExpiry: (p.lifetimeActions ?? [])
          .filter(a => a.action === 'EmailContacts')
          .map(a => ({
            ...(a.daysBeforeExpiry !== undefined && { daysBeforeExpiry: a.daysBeforeExpiry }),
            ...(a.lifetimePercentage !== undefined && { lifetimePercentage: a.lifetimePercentage })
          }))
      },
      ...(p.issuerName && { issuerName: p.issuerName }),
      ...(p.contentType && { contentType: p.contentType })
    }
  }

  /**
   * A certificate version's backing secret (same name and version), masked at once. Its format
   * comes from the bytes, not the content type: the service reports the current policy's content
   * type for every version.
   */
  async certificateExport(name: string, version: string): Promise<CertificateExport> {
    const value = await this.secretValue(name, version)
    const pem = value.includes('-----BEGIN')
    return {
      value,
      format: pem ? 'pem' : 'pfx',
      hasPrivateKey: pem ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) : true
    }
  }

  /** The certificate's current version (its properties and thumbprint), or undefined (404, 403). */
  async currentCertificate(name: string): Promise<VersionInfo | undefined> {
    try {
      return toVersion((await this.clients.certificates.getCertificate(name)).properties)
    } catch (error) {
      if (isNotReadable(error)) return undefined
      throw error
    }
  }

  /**
   * Imports one certificate version with the copied policy (issuer Unknown: the target may not
   * have the source's issuer), its enabled flag and tags. @azure/keyvault-certificates 4.10.3
   * spreads the options into the request and serializes only the generated model's fields
   * (`certificatePolicy`, `certificateAttributes`), dropping `policy` and `enabled`: both are passed
   * in that form as well, or the service would get no content type (and refuse a PEM).
   */
  async importCertificate(
    name: string,
    exported: CertificateExport,
    policy: CopiedPolicy,
    enabled: boolean,
    tags: Record<string, string>
  ): Promise<string | undefined> {
    const contentType = exported.format === 'pem' ? PEM : PFX
    const bytes =
      exported.format === 'pem' ? Buffer.from(exported.value, 'utf8') : Buffer.from(exported.value, 'base64')
    const generated = {
      keyProperties: {
        exportable: policy.exportable ?? true,
        keyType: policy.keyType,
        keySize: policy.keySize,
        reuseKey: policy.reuseKey,
        curve: policy.keyCurveName
      },
      secretProperties: { contentType },
      lifetimeActions: (policy.emailBeforeExpiry ?? []).map(trigger => ({
        trigger,
        action: { actionType: 'EmailContacts' }
      })),
      issuerParameters: { name: 'Unknown' }
    }
    const options = {
      policy: { contentType, issuerName: 'Unknown' },
      certificatePolicy: generated,
      certificateAttributes: { enabled },
      enabled,
      tags
    } as ImportCertificateOptions
    const imported = await this.clients.certificates.importCertificate(name, bytes, options)
    return imported.properties.version
  }

  /** The key's backup blob (held in memory, restored into a vault of the same security world). */
  async backupKey(name: string): Promise<Uint8Array> {
    const blob = await this.clients.keys.backupKey(name)
    if (!blob?.length) throw new Error(`the vault returned an empty backup for key '${name}'`)
    return blob
  }

  /** Restores a key's backup blob (the key keeps its name and versions). */
  async restoreKey(blob: Uint8Array): Promise<void> {
    await this.clients.keys.restoreKeyBackup(blob)
  }
}
