/** The secrets REST surface: set, get, update, list, versions and the shared life cycle. */
import { certificateOwned, KvError, secretDisabled, secretTooLarge } from './errors.js'
import {
  checkName,
  emptyFirstPage,
  page,
  parseAttributes,
  parseContentType,
  parseTags,
  renderAttributes,
  type KvRequest,
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
import { latest, newVersionId, type ObjectVersion, type StoredObject } from './store.js'
import {
  certificateHoldsName,
  deleteOrBackupRoute,
  managedSecretBundle,
  managedSecretItem,
  managedSecretVersionItems,
  owningCertificate
} from './managed.js'

/** The service counts characters: "Secret is beyond the maximum permitted length of 25600 characters." */
const MAX_VALUE = 25_600

function secretView(vault: VaultRuntime): KindView {
  const base = (o: StoredObject, v: ObjectVersion, id: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      id,
      attributes: renderAttributes(v.attributes, vault.config),
      tags: v.tags
    }
    if (v.contentType !== undefined) out.contentType = v.contentType
    return out
  }
  return {
    kind: 'secrets',
    bundle: (o, v, origin) => ({ value: v.value, ...base(o, v, `${origin}/secrets/${o.name}/${v.id}`) }),
    item: (o, origin) => base(o, latest(o), `${origin}/secrets/${o.name}`),
    restored: (o, origin) => base(o, latest(o), `${origin}/secrets/${o.name}/${latest(o).id}`)
  }
}

const need = requirementOf('secrets')

/** Matches a secrets request to its operation, or undefined. */
export function secretRoute(vault: VaultRuntime, req: KvRequest): Route | undefined {
  const [collection, name, third] = req.segments
  const view = secretView(vault)
  const now = () => vault.clock.now()
  const res = (n?: string) => (n ? `/secrets/${n}` : '/secrets')
  const m = req.method
  const n = req.segments.length

  if (collection === 'deletedsecrets')
    return deletedRoute(vault, view, req, { list: 'readMetadata/action', get: 'getSecret/action' })
  if (collection !== 'secrets') return undefined
  if (n === 1 && m === 'GET') {
    return {
      operation: 'ListSecrets',
      need: need('list', 'readMetadata/action'),
      resource: res(),
      run: () => {
        const c = vault.collections.secrets
        type Row = { name: string; render: () => unknown }
        const rows: Row[] = [
          ...c.listActive(now()).map(o => ({ name: o.name, render: () => view.item(o, req.origin) })),
          ...vault.collections.certificates
            .listActive(now())
            .map(o => ({ name: o.name, render: () => managedSecretItem(vault, o, req.origin) }))
        ].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
        return page(req, rows, r => r.render(), emptyFirstPage(vault, c))
      }
    }
  }
  if (n === 2 && name === 'restore' && m === 'POST') {
    return {
      operation: 'RestoreSecret',
      need: need('restore', 'restore/action'),
      resource: res(),
      run: () => restoreObject(vault, view, req)
    }
  }
  if (!name) return undefined
  if (n === 2 && m === 'PUT') {
    return {
      operation: 'SetSecret',
      need: need('set', 'setSecret/action'),
      resource: res(name),
      name,
      run: () => setSecret(vault, view, req, name)
    }
  }
  const deleteOrBackup = deleteOrBackupRoute(vault, view, req)
  if (deleteOrBackup) return deleteOrBackup
  if (n === 3 && third === 'versions' && m === 'GET') {
    return {
      operation: 'ListSecretVersions',
      need: need('list', 'readMetadata/action'),
      resource: res(name),
      name,
      run: () => {
        const cert = owningCertificate(vault, name)
        if (cert) return page(req, managedSecretVersionItems(vault, cert, req.origin), r => r, false)
        const o = vault.collections.secrets.get(name, now())
        const versions = o ? o.versions : []
        return page(
          req,
          versions,
          v => ({
            ...view.item({ ...o!, versions: [v] }, req.origin),
            id: `${req.origin}/secrets/${name}/${v.id}`
          }),
          false
        )
      }
    }
  }
  if ((n === 2 || n === 3) && (m === 'GET' || m === 'PATCH')) {
    const version = third ?? ''
    if (m === 'GET') {
      return {
        operation: 'GetSecret',
        need: need('get', 'getSecret/action'),
        resource: res(name),
        name,
        run: () => {
          const cert = owningCertificate(vault, name)
          if (cert) return { status: 200, body: managedSecretBundle(vault, cert, version, req.origin) }
          const v = mustVersion('secrets', mustGet(vault, 'secrets', name), version)
          if (!v.attributes.enabled) throw secretDisabled()
          return { status: 200, body: view.bundle(mustGet(vault, 'secrets', name), v, req.origin) }
        }
      }
    }
    return {
      operation: 'UpdateSecret',
      need: need('set', 'setSecret/action'),
      resource: res(name),
      name,
      run: async () => {
        if (owningCertificate(vault, name)) throw certificateOwned('update', 'secrets')
        const o = mustGet(vault, 'secrets', name)
        const v = mustVersion('secrets', o, version)
        const body = await req.readJson()
        v.attributes = parseAttributes(body.attributes, now(), v.attributes)
        v.tags = parseTags(body.tags, v.tags)
        const contentType = parseContentType(body.contentType)
        if (contentType !== undefined) v.contentType = contentType
        const { value: _value, ...rest } = view.bundle(o, v, req.origin)
        return { status: 200, body: rest }
      }
    }
  }
  return undefined
}

/** PUT /secrets/{name}: a new version; the answer carries the value (also for enabled:false). */
async function setSecret(vault: VaultRuntime, view: KindView, req: KvRequest, name: string) {
  const body = await req.readJson()
  if (typeof body.value !== 'string') throw new KvError(400, 'BadParameter', 'Property value is required.')
  if (body.value.length > MAX_VALUE) throw secretTooLarge()
  const tags = parseTags(body.tags)
  const contentType = parseContentType(body.contentType)
  if (certificateHoldsName(vault, name)) throw certificateOwned('set', 'secrets')
  const existing = guardCreate(vault, 'secrets', name)
  const now = vault.clock.now()
  const version: ObjectVersion = {
    id: newVersionId(),
    attributes: parseAttributes(body.attributes, now),
    tags,
    value: body.value,
    ...(contentType !== undefined ? { contentType } : {})
  }
  const o = existing ?? { name, versions: [] }
  o.versions.push(version)
  vault.collections.secrets.put(o)
  return { status: 200, body: view.bundle(o, version, req.origin) }
}

/** Seeds a secret with `versions` versions (no HTTP). */
export function seedSecretObject(
  vault: VaultRuntime,
  name: string,
  value: string,
  opts: { tags?: Record<string, string>; contentType?: string; enabled?: boolean; versions?: number } = {}
): void {
  checkName(name)
  guardCreate(vault, 'secrets', name)
  const o = vault.collections.secrets.get(name, vault.clock.now()) ?? { name, versions: [] }
  const count = Math.max(1, opts.versions ?? 1)
  for (let i = 0; i < count; i++) {
    const seconds = vault.clock.nowSeconds()
    o.versions.push({
      id: newVersionId(),
      attributes: { enabled: opts.enabled ?? true, created: seconds, updated: seconds },
      tags: { ...(opts.tags ?? {}) },
      value: count > 1 && i < count - 1 ? `${value}#v${i + 1}` : value,
      ...(opts.contentType ? { contentType: opts.contentType } : {})
    })
  }
  vault.collections.secrets.put(o)
}
