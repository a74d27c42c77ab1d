/** Certificate policies (defaults as the service fills them) and the material of a certificate version. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { badParameter } from './errors.js'
import type { VaultRuntime } from './http.js'
import { newVersionId, type ObjectVersion, type StoredCert } from './store.js'
import { issueSelfSigned, PFX, validity, type CertificateFacts } from './x509.js'

export type Policy = Record<string, Record<string, unknown> | unknown>

export function completePolicy(
  raw: Policy | undefined,
  fallback: { subject: string; kty?: string; contentType?: string; issuer?: string }
): Record<string, unknown> {
  const p = (raw ?? {}) as Record<string, Record<string, unknown> | undefined>
  const kty = String(p.key_props?.kty ?? fallback.kty ?? 'RSA')
  const keyProps = {
    exportable: true,
    kty,
    ...(kty.startsWith('RSA') ? { key_size: 2048 } : { crv: 'P-256' }),
    reuse_key: false,
    ...p.key_props
  }
  return {
    key_props: keyProps,
    secret_props: { contentType: fallback.contentType ?? PFX, ...p.secret_props },
    x509_props: {
      subject: fallback.subject,
      ekus: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
      key_usage: ['digitalSignature', 'keyEncipherment'],
      validity_months: 12,
      ...p.x509_props
    },
    lifetime_actions: p.lifetime_actions ?? [
      { trigger: { lifetime_percentage: 80 }, action: { action_type: 'AutoRenew' } }
    ],
    issuer: { name: fallback.issuer ?? 'Self', ...p.issuer }
  }
}

const CURVES = ['P-256', 'P-384', 'P-521']

/** A fresh key for a certificate policy; EC keys only with PEM secrets (forge writes RSA PKCS#12 only). */
export function newPrivateKey(policy: Record<string, unknown>): { pem: string; kty: 'RSA' | 'EC' } {
  const keyProps = policy.key_props as Record<string, unknown>
  const kty = String(keyProps.kty ?? 'RSA')
  const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString()
  if (kty.startsWith('EC')) {
    const crv = String(keyProps.crv ?? 'P-256')
    if (!CURVES.includes(crv)) throw badParameter(`The specified curve ${crv} is not supported.`)
    const contentType = (policy.secret_props as Record<string, unknown>).contentType
    if (contentType !== 'application/x-pem-file') {
      throw badParameter('The test bed issues EC certificates with contentType application/x-pem-file only.')
    }
    return { pem: pkcs8(generateKeyPairSync('ec', { namedCurve: crv }).privateKey), kty: 'EC' }
  }
  if (!kty.startsWith('RSA'))
    throw badParameter(`The specified key type ${kty} is not supported for certificates.`)
  const size = Number(keyProps.key_size ?? 2048)
  if (![2048, 3072, 4096].includes(size))
    throw badParameter(`The specified RSA key size ${size} is not supported.`)
  return { pem: pkcs8(generateKeyPairSync('rsa', { modulusLength: size }).privateKey), kty: 'RSA' }
}

/**
 * The policy of an imported certificate: x509_props and key_props read from the certificate, the
 * secret's content type, the caller's exportable / reuse_key / lifetime_actions, issuer "Unknown"
 * (spec example ImportCertificate: lifetime action EmailContacts at 80 %).
 */
export function importPolicy(
  raw: Policy | undefined,
  facts: CertificateFacts,
  contentType: string
): Record<string, unknown> {
  const p = (raw ?? {}) as Record<string, Record<string, unknown> | undefined>
  return {
    key_props: {
      exportable: p.key_props?.exportable ?? true,
      ...facts.keyProps,
      reuse_key: p.key_props?.reuse_key ?? false
    },
    secret_props: { contentType },
    x509_props: {
      subject: facts.subject,
      ...(facts.sans ? { sans: facts.sans } : {}),
      ekus: facts.ekus,
      key_usage: facts.keyUsage,
      validity_months: facts.validityMonths
    },
    lifetime_actions: p.lifetime_actions ?? [
      { trigger: { lifetime_percentage: 80 }, action: { action_type: 'EmailContacts' } }
    ],
    issuer: { name: 'Unknown', ...p.issuer }
  }
}

/** Whether a policy makes the certificate's key exportable (the default). */
export function isExportable(policy: Record<string, unknown>): boolean {
  return (policy.key_props as Record<string, unknown> | undefined)?.exportable !== false
}

export function certVersion(
  der: Buffer,
  chain: Buffer[],
  privateKeyPem: string,
  kty: 'RSA' | 'EC',
  contentType: string,
  attributes: ObjectVersion['attributes'],
  tags: Record<string, string>,
  exportable = true
): ObjectVersion {
  const { nbf, exp } = validity(der)
  const cert: StoredCert = {
    cer: der.toString('base64'),
    chain: chain.map(c => c.toString('base64')),
    privateKeyPem,
    kty,
    secretContentType: contentType,
    ...(exportable ? {} : { exportable: false })
  }
  return { id: newVersionId(), attributes: { ...attributes, nbf, exp }, tags, cert }
}

export function issue(vault: VaultRuntime, policy: Record<string, unknown>, privateKeyPem: string): Buffer {
  const x509 = policy.x509_props as Record<string, unknown>
  const sans = (x509.sans ?? {}) as { dns_names?: string[] }
  return issueSelfSigned(privateKeyPem, {
    subject: String(x509.subject),
    dnsNames: sans.dns_names,
    validityMonths: Number(x509.validity_months ?? 12),
    now: vault.clock.now()
  })
}
