/**
 * The key and the secret a certificate owns: same name and version as the certificate, `managed: true`,
 * derived from the certificate's versions (so they follow it through delete, purge, recover, restore).
 */
import { createPrivateKey } from 'node:crypto'
import { certificateOwned } from './errors.js'
import { renderAttributes, type KvRequest, type Route, type VaultRuntime } from './http.js'
import {
  backupObject,
  deleteObject,
  mustGet,
  mustVersion,
  requirementOf,
  type KindView
} from './lifecycle.js'
import { latest, publicJwk, type ObjectVersion, type StoredObject } from './store.js'
import { PFX, toPemSecret, toPfxSecret } from './x509.js'

/** The active certificate owning `name`, i.e. its key and secret. */
export function owningCertificate(vault: VaultRuntime, name: string): StoredObject | undefined {
  return vault.collections.certificates.get(name, vault.clock.now())
}

/** Whether a certificate (active, deleted, in a window or pending) holds `name` for its key and secret. */
export function certificateHoldsName(vault: VaultRuntime, name: string): boolean {
  const state = vault.collections.certificates.state(name, vault.clock.now())
  return state !== 'absent' || vault.pendingCertificates.has(name.toLowerCase())
}

const secretValues = new WeakMap<ObjectVersion, string>()

/**
 * The value of a certificate's secret: PKCS#12 (base64) or PEM with the key and the chain. A
 * non-exportable certificate's holds only the certificate(s) (Microsoft Learn: "the private key isn't
 * part of the value when it's retrieved as a secret"; the exact body is unconfirmed).
 */
function secretValue(v: ObjectVersion): string {
  let value = secretValues.get(v)
  if (value === undefined) {
    const cert = v.cert!
    const chain = [cert.cer, ...cert.chain].map(c => Buffer.from(c, 'base64'))
    const key = cert.exportable === false ? undefined : cert.privateKeyPem
    value = cert.secretContentType === PFX ? toPfxSecret(key, chain) : toPemSecret(key, chain)
    secretValues.set(v, value)
  }
  return value
}

function keyJwk(v: ObjectVersion, kid: string): Record<string, unknown> {
  const cert = v.cert!
  const jwk = createPrivateKey(cert.privateKeyPem).export({ format: 'jwk' })
  const keyOps =
    cert.kty === 'RSA' ? ['sign', 'verify', 'wrapKey', 'unwrapKey', 'encrypt', 'decrypt'] : ['sign', 'verify']
  return publicJwk({ kty: cert.kty, jwk, keyOps }, kid)
}

/** GET /secrets/{name}/{version} of a certificate's secret. */
export function managedSecretBundle(
  vault: VaultRuntime,
  o: StoredObject,
  version: string,
  origin: string
): unknown {
  const v = mustVersion('secrets', o, version)
  return {
    value: secretValue(v),
    contentType: v.cert!.secretContentType,
    id: `${origin}/secrets/${o.name}/${v.id}`,
    attributes: renderAttributes(v.attributes, vault.config),
    tags: v.tags,
    kid: `${origin}/keys/${o.name}/${v.id}`,
    managed: true
  }
}

/** The secret list item of a certificate. */
export function managedSecretItem(
  vault: VaultRuntime,
  o: StoredObject,
  origin: string,
  v = latest(o),
  id = `${origin}/secrets/${o.name}`
): unknown {
  return {
    id,
    attributes: renderAttributes(v.attributes, vault.config),
    tags: v.tags,
    contentType: v.cert!.secretContentType,
    managed: true
  }
}

export function managedSecretVersionItems(vault: VaultRuntime, o: StoredObject, origin: string): unknown[] {
  return o.versions.map(v => managedSecretItem(vault, o, origin, v, `${origin}/secrets/${o.name}/${v.id}`))
}

/** GET /keys/{name}/{version} of a certificate's key. */
export function managedKeyBundle(
  vault: VaultRuntime,
  o: StoredObject,
  version: string,
  origin: string
): unknown {
  const v = mustVersion('keys', o, version)
  return {
    key: keyJwk(v, `${origin}/keys/${o.name}/${v.id}`),
    attributes: renderAttributes(v.attributes, vault.config, { exportable: false }),
    tags: v.tags,
    managed: true
  }
}

export function managedKeyItem(
  vault: VaultRuntime,
  o: StoredObject,
  origin: string,
  v = latest(o),
  kid = `${origin}/keys/${o.name}`
): unknown {
  return {
    kid,
    attributes: renderAttributes(v.attributes, vault.config, { exportable: false }),
    tags: v.tags,
    managed: true
  }
}

export function managedKeyVersionItems(vault: VaultRuntime, o: StoredObject, origin: string): unknown[] {
  return o.versions.map(v => managedKeyItem(vault, o, origin, v, `${origin}/keys/${o.name}/${v.id}`))
}

const SINGULAR = { secrets: 'Secret', keys: 'Key' } as const

/**
 * DELETE `/{kind}/{name}` and POST `/{kind}/{name}/backup` for secrets and keys: both refuse a name a
 * certificate owns, with the service's 403, and otherwise act on the object itself.
 */
export function deleteOrBackupRoute(vault: VaultRuntime, view: KindView, req: KvRequest): Route | undefined {
  const kind = view.kind as 'secrets' | 'keys'
  const [, name, third] = req.segments
  const n = req.segments.length
  const need = requirementOf(kind)
  const guard = (operation: string): void => {
    if (owningCertificate(vault, name)) throw certificateOwned(operation, kind)
  }
  if (n === 2 && req.method === 'DELETE') {
    return {
      operation: `Delete${SINGULAR[kind]}`,
      need: need('delete', 'delete'),
      resource: `/${kind}/${name}`,
      name,
      run: () => {
        guard('delete')
        return deleteObject(vault, view, name, req.origin)
      }
    }
  }
  if (n === 3 && third === 'backup' && req.method === 'POST') {
    return {
      operation: `Backup${SINGULAR[kind]}`,
      need: need('backup', 'backup/action'),
      resource: `/${kind}/${name}`,
      name,
      run: () => {
        guard('backup')
        return backupObject(vault, kind, mustGet(vault, kind, name))
      }
    }
  }
  return undefined
}
