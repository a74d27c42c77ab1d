/** The keys REST surface: create (real RSA/EC material), import, get, update, list, versions, life cycle. */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { badParameter, certificateOwned } from './errors.js'
import {
  checkName,
  emptyFirstPage,
  page,
  parseAttributes,
  parseTags,
  renderAttributes,
  type KvRequest,
  type Reply,
  type Route,
  type VaultRuntime
} from './http.js'
import {
  type KindView,
  deletedRoute,
  guardCreate,
  mustGet,
  mustVersion,
  requirementOf,
  restoreObject
} from './lifecycle.js'
import {
  latest,
  newVersionId,
  publicJwk,
  type ObjectVersion,
  type StoredKey,
  type StoredObject
} from './store.js'
import {
  certificateHoldsName,
  deleteOrBackupRoute,
  managedKeyBundle,
  managedKeyItem,
  managedKeyVersionItems,
  owningCertificate
} from './managed.js'

const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey']
const EC_OPS = ['sign', 'verify']
const CURVES = ['P-256', 'P-384', 'P-521']

/** Fresh key material from node:crypto. */
export function generateKey(kty: 'RSA' | 'EC', size = 2048, curve = 'P-256'): StoredKey {
  const pair =
    kty === 'RSA'
      ? generateKeyPairSync('rsa', { modulusLength: size })
      : generateKeyPairSync('ec', { namedCurve: curve })
  return { kty, jwk: pair.privateKey.export({ format: 'jwk' }), keyOps: kty === 'RSA' ? RSA_OPS : EC_OPS }
}

function keyView(vault: VaultRuntime): KindView {
  const attrs = (v: ObjectVersion) => renderAttributes(v.attributes, vault.config, { exportable: false })
  return {
    kind: 'keys',
    bundle: (o, v, origin) => ({
      key: publicJwk(v.key!, `${origin}/keys/${o.name}/${v.id}`),
      attributes: attrs(v),
      tags: v.tags
    }),
    item: (o, origin) => ({
      kid: `${origin}/keys/${o.name}`,
      attributes: attrs(latest(o)),
      tags: latest(o).tags
    })
  }
}

const need = requirementOf('keys')

/** Matches a keys request to its operation, or undefined. */
export function keyRoute(vault: VaultRuntime, req: KvRequest): Route | undefined {
  const [collection, name, third] = req.segments
  const view = keyView(vault)
  const now = () => vault.clock.now()
  const res = (n?: string) => (n ? `/keys/${n}` : '/keys')
  const m = req.method
  const n = req.segments.length

  if (collection === 'deletedkeys') return deletedRoute(vault, view, req, { list: 'read', get: 'read' })
  if (collection !== 'keys') return undefined
  if (n === 1 && m === 'GET') {
    return {
      operation: 'ListKeys',
      need: need('list', 'read'),
      resource: res(),
      run: () => {
        const c = vault.collections.keys
        const rows = [
          ...c.listActive(now()).map(o => ({ name: o.name, render: () => view.item(o, req.origin) })),
          ...vault.collections.certificates
            .listActive(now())
            .map(o => ({ name: o.name, render: () => managedKeyItem(vault, o, req.origin) }))
        ].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
        return page(req, rows, r => r.render(), emptyFirstPage(vault, c))
      }
    }
  }
  if (n === 2 && name === 'restore' && m === 'POST') {
    return {
      operation: 'RestoreKey',
      need: need('restore', 'restore/action'),
      resource: res(),
      run: () => restoreObject(vault, view, req)
    }
  }
  if (!name) return undefined
  if (n === 3 && third === 'create' && m === 'POST') {
    return {
      operation: 'CreateKey',
      need: need('create', 'create/action'),
      resource: res(name),
      name,
      run: () => createKey(vault, view, req, name)
    }
  }
  if (n === 2 && m === 'PUT') {
    return {
      operation: 'ImportKey',
      need: need('import', 'import/action'),
      resource: res(name),
      name,
      run: () => importKey(vault, view, req, name)
    }
  }
  const deleteOrBackup = deleteOrBackupRoute(vault, view, req)
  if (deleteOrBackup) return deleteOrBackup
  if (n === 3 && third === 'versions' && m === 'GET') {
    return {
      operation: 'ListKeyVersions',
      need: need('list', 'read'),
      resource: res(name),
      name,
      run: () => {
        const cert = owningCertificate(vault, name)
        if (cert) return page(req, managedKeyVersionItems(vault, cert, req.origin), r => r, false)
        const o = vault.collections.keys.get(name, now())
        return page(
          req,
          o ? o.versions : [],
          v => ({
            ...view.item({ ...o!, versions: [v] }, req.origin),
            kid: `${req.origin}/keys/${name}/${v.id}`
          }),
          false
        )
      }
    }
  }
  if ((n === 2 || n === 3) && m === 'GET') {
    return {
      operation: 'GetKey',
      need: need('get', 'read'),
      resource: res(name),
      name,
      run: () => {
        const cert = owningCertificate(vault, name)
        if (cert) return { status: 200, body: managedKeyBundle(vault, cert, third ?? '', req.origin) }
        const o = mustGet(vault, 'keys', name)
        return { status: 200, body: view.bundle(o, mustVersion('keys', o, third ?? ''), req.origin) }
      }
    }
  }
  if ((n === 2 || n === 3) && m === 'PATCH') {
    return {
      operation: 'UpdateKey',
      need: need('update', 'write'),
      resource: res(name),
      name,
      run: async () => {
        if (owningCertificate(vault, name)) throw certificateOwned('update', 'keys')
        const o = mustGet(vault, 'keys', name)
        const v = mustVersion('keys', o, third ?? '')
        const body = await req.readJson()
        v.attributes = parseAttributes(body.attributes, now(), v.attributes)
        v.tags = parseTags(body.tags, v.tags)
        if (Array.isArray(body.key_ops)) v.key!.keyOps = body.key_ops.map(String)
        return { status: 200, body: view.bundle(o, v, req.origin) }
      }
    }
  }
  return undefined
}

function addVersion(vault: VaultRuntime, name: string, version: ObjectVersion): StoredObject {
  if (certificateHoldsName(vault, name)) throw certificateOwned('create', 'keys')
  const o = guardCreate(vault, 'keys', name) ?? { name, versions: [] }
  o.versions.push(version)
  vault.collections.keys.put(o)
  return o
}

async function createKey(vault: VaultRuntime, view: KindView, req: KvRequest, name: string): Promise<Reply> {
  const body = await req.readJson()
  const kty = String(body.kty ?? '').replace(/-HSM$/, '')
  let key: StoredKey
  if (kty === 'RSA') {
    const size = body.key_size === undefined ? 2048 : Number(body.key_size)
    if (![2048, 3072, 4096].includes(size))
      throw badParameter(`The specified RSA key size ${size} is not supported.`)
    key = generateKey('RSA', size)
  } else if (kty === 'EC') {
    const crv = String(body.crv ?? 'P-256')
    if (!CURVES.includes(crv)) throw badParameter(`The specified curve ${crv} is not supported.`)
    key = generateKey('EC', 0, crv)
  } else {
    throw badParameter(`The specified key type ${String(body.kty)} is not supported.`)
  }
  if (Array.isArray(body.key_ops)) key.keyOps = body.key_ops.map(String)
  const now = vault.clock.now()
  const version = {
    id: newVersionId(),
    attributes: parseAttributes(body.attributes, now),
    tags: parseTags(body.tags),
    key
  }
  const o = addVersion(vault, name, version)
  return { status: 200, body: view.bundle(o, version, req.origin) }
}

async function importKey(vault: VaultRuntime, view: KindView, req: KvRequest, name: string): Promise<Reply> {
  const body = await req.readJson()
  const raw = (body.key ?? {}) as JsonWebKey & { key_ops?: string[] }
  const kty = String(raw.kty ?? '').replace(/-HSM$/, '')
  if (kty !== 'RSA' && kty !== 'EC')
    throw badParameter(`The specified key type ${String(raw.kty)} is not supported.`)
  let jwk: JsonWebKey
  try {
    const material = { ...raw, kty }
    delete (material as Record<string, unknown>).key_ops
    delete (material as Record<string, unknown>).kid
    jwk = material.d
      ? createPrivateKey({ key: material, format: 'jwk' }).export({ format: 'jwk' })
      : createPublicKey({ key: material, format: 'jwk' }).export({ format: 'jwk' })
  } catch {
    throw badParameter('The key to import is not a valid JSON Web Key.')
  }
  const key: StoredKey = { kty, jwk, keyOps: raw.key_ops ?? (kty === 'RSA' ? RSA_OPS : EC_OPS) }
  const now = vault.clock.now()
  const version = {
    id: newVersionId(),
    attributes: parseAttributes(body.attributes, now),
    tags: parseTags(body.tags),
    key
  }
  const o = addVersion(vault, name, version)
  return { status: 200, body: view.bundle(o, version, req.origin) }
}

/** Seeds a key with `versions` versions of fresh material (no HTTP). */
export function seedKeyObject(
  vault: VaultRuntime,
  name: string,
  opts: { kty?: 'RSA' | 'EC'; tags?: Record<string, string>; enabled?: boolean; versions?: number } = {}
): void {
  checkName(name)
  const seconds = vault.clock.nowSeconds()
  for (let i = 0; i < Math.max(1, opts.versions ?? 1); i++) {
    addVersion(vault, name, {
      id: newVersionId(),
      attributes: { enabled: opts.enabled ?? true, created: seconds, updated: seconds },
      tags: { ...(opts.tags ?? {}) },
      key: generateKey(opts.kty ?? 'RSA')
    })
  }
}
