/**
 * What secrets, keys and certificates share: delete, the deleted view, purge, recover, backup,
 * restore and the name checks before a create. Each object type supplies a `KindView` that renders
 * its bundles and list items.
 */
import type { Requirement } from './auth.js'
import { openBlob, sealBlob } from './backup-blob.js'
import { within } from './faults.js'
import {
  beingDeleted,
  beingRecovered,
  deletedButRecoverable,
  deletedNotFound,
  KvError,
  notFound,
  purgeProtected,
  restoreConflict,
  type Kind
} from './errors.js'
import {
  emptyFirstPage,
  page,
  retentionDays,
  type KvRequest,
  type Reply,
  type Route,
  type VaultRuntime
} from './http.js'
import { latest, type DeletedObject, type ObjectVersion, type StoredObject } from './store.js'

export interface KindView {
  kind: Kind
  /** The full bundle of one version. */
  bundle(o: StoredObject, v: ObjectVersion, origin: string): Record<string, unknown>
  /** The list item of an object (its current version). */
  item(o: StoredObject, origin: string): Record<string, unknown>
  /** Restore answers this (secrets: the bundle without value). */
  restored?(o: StoredObject, origin: string): Record<string, unknown>
  /** Called after a restore puts the object back (certificates drop cached material). */
  afterRestore?(o: StoredObject): void
}

const ok = (body: unknown): Reply => ({ status: 200, body })

/** Deleted and recovered secrets come back without their value. */
function withoutValue(bundle: Record<string, unknown>): Record<string, unknown> {
  const { value: _value, ...rest } = bundle
  return rest
}

function deletedExtra(d: DeletedObject, view: KindView, origin: string): Record<string, unknown> {
  return {
    recoveryId: `${origin}/deleted${view.kind}/${d.object.name}`,
    deletedDate: d.deletedDate,
    scheduledPurgeDate: d.scheduledPurgeDate
  }
}

/** Refuses a create/set/import/restore on a name that is not free; returns the active object if any. */
export function guardCreate(vault: VaultRuntime, kind: Kind, name: string): StoredObject | undefined {
  const c = vault.collections[kind]
  const now = vault.clock.now()
  switch (c.state(name, now)) {
    case 'deleting':
    case 'purging':
      throw beingDeleted(kind, name)
    case 'deleted':
      throw deletedButRecoverable(kind, name)
    case 'recovering':
      throw beingRecovered(kind, name)
    case 'active':
      return c.get(name, now)
    default:
      return undefined
  }
}

/** The active object or 404. */
export function mustGet(vault: VaultRuntime, kind: Kind, name: string): StoredObject {
  const o = vault.collections[kind].get(name, vault.clock.now())
  if (!o) throw notFound(kind, name)
  return o
}

/** A version by id ('' = current) or 404. */
export function mustVersion(kind: Kind, o: StoredObject, version: string): ObjectVersion {
  if (!version) return latest(o)
  const v = o.versions.find(x => x.id === version.toLowerCase())
  if (!v) throw notFound(kind, o.name, version)
  return v
}

/** DELETE /{c}/{name}: soft delete, answered at once; the deleted view follows after the window. */
export function deleteObject(vault: VaultRuntime, view: KindView, name: string, origin: string): Reply {
  const o = mustGet(vault, view.kind, name)
  const now = vault.clock.now()
  const d = vault.collections[view.kind].softDelete(
    o.name,
    now,
    retentionDays(vault.config),
    within(vault.behaviour.deleteWindowMs, vault.windowRandom)
  )
  return ok({ ...withoutValue(view.bundle(o, latest(o), origin)), ...deletedExtra(d, view, origin) })
}

function mustDeleted(vault: VaultRuntime, kind: Kind, name: string): DeletedObject {
  const d = vault.collections[kind].getDeleted(name, vault.clock.now())
  if (!d) throw deletedNotFound(kind, name)
  return d
}

/** GET /deleted{c}/{name}. */
export function getDeleted(vault: VaultRuntime, view: KindView, name: string, origin: string): Reply {
  const d = mustDeleted(vault, view.kind, name)
  return ok({
    ...withoutValue(view.bundle(d.object, latest(d.object), origin)),
    ...deletedExtra(d, view, origin)
  })
}

/** GET /deleted{c}. */
export function listDeleted(vault: VaultRuntime, view: KindView, req: KvRequest): Reply {
  const c = vault.collections[view.kind]
  const all = c.listDeleted(vault.clock.now())
  return page(
    req,
    all,
    d => ({ ...view.item(d.object, req.origin), ...deletedExtra(d, view, req.origin) }),
    emptyFirstPage(vault, c)
  )
}

/** DELETE /deleted{c}/{name}: 204 at once; the name stays taken for the purge window. */
export function purgeDeleted(vault: VaultRuntime, kind: Kind, name: string): Reply {
  const c = vault.collections[kind]
  const now = vault.clock.now()
  if (c.state(name, now) === 'deleting') throw beingDeleted(kind, name)
  mustDeleted(vault, kind, name)
  if (vault.config.purgeProtection) throw purgeProtected()
  c.purge(name, now, within(vault.behaviour.purgeWindowMs, vault.windowRandom))
  return { status: 204 }
}

/** POST /deleted{c}/{name}/recover: 200 with the live bundle; the object answers 404 for the recovery window. */
export function recoverDeleted(vault: VaultRuntime, view: KindView, name: string, origin: string): Reply {
  const c = vault.collections[view.kind]
  const now = vault.clock.now()
  if (c.state(name, now) === 'deleting') throw beingDeleted(view.kind, name)
  mustDeleted(vault, view.kind, name)
  const o = c.recover(name, now, within(vault.behaviour.deleteWindowMs, vault.windowRandom))
  return ok(withoutValue(view.bundle(o, latest(o), origin)))
}

/** POST /{c}/{name}/backup: one blob with every version. */
export function backupObject(vault: VaultRuntime, kind: Kind, o: StoredObject): Reply {
  if (o.versions.length > vault.behaviour.maxBackupVersions) {
    throw new KvError(
      400,
      'BadRequest',
      `Backup is not supported for objects with more than ${vault.behaviour.maxBackupVersions} versions.`
    )
  }
  const blob = sealBlob(
    { kind, object: { name: o.name, versions: o.versions, policy: o.policy } },
    vault.config
  )
  return ok({ value: blob.toString('base64url') })
}

/** POST /{c}/restore: puts the blob's object back under its name with its version ids. */
export async function restoreObject(vault: VaultRuntime, view: KindView, req: KvRequest): Promise<Reply> {
  const body = await req.readJson()
  if (typeof body.value !== 'string' || !body.value)
    throw new KvError(400, 'BadParameter', 'Property value is required.')
  const { object } = openBlob(Buffer.from(body.value, 'base64url'), view.kind, vault.config)
  const c = vault.collections[view.kind]
  const state = c.state(object.name, vault.clock.now())
  if (state === 'active' || state === 'recovering' || state === 'purging') {
    throw restoreConflict(view.kind, `${req.origin}/${view.kind}/${object.name}/${latest(object).id}`)
  }
  guardCreate(vault, view.kind, object.name)
  delete object.recoveringUntil
  c.put(object)
  view.afterRestore?.(object)
  return ok(
    view.restored ? view.restored(object, req.origin) : view.bundle(object, latest(object), req.origin)
  )
}

const SINGULAR: Record<Kind, string> = { secrets: 'Secret', keys: 'Key', certificates: 'Certificate' }

/** What an operation on `kind` requires: an access-policy permission and an RBAC data action under the kind. */
export const requirementOf =
  (kind: Kind) =>
  (permission: string, action: string): Requirement => ({
    type: kind,
    permission,
    action: `${kind}/${action}`
  })

/**
 * Routes of a deleted-objects collection (`/deleted{kind}`): list, get, purge and recover. The three
 * kinds differ only in the data action that reads them (`readAction`, e.g. `readMetadata/action`).
 */
export function deletedRoute(
  vault: VaultRuntime,
  view: KindView,
  req: KvRequest,
  readAction: string
): Route | undefined {
  const kind = view.kind
  const [, name, third] = req.segments
  const n = req.segments.length
  const need = (permission: string, action: string) => ({
    type: kind,
    permission,
    action: `${kind}/${action}`
  })
  const resource = name ? `/${kind}/${name}` : `/${kind}`
  const one = SINGULAR[kind]
  if (n === 1 && req.method === 'GET') {
    return {
      operation: `ListDeleted${one}s`,
      need: need('list', readAction),
      resource,
      run: () => listDeleted(vault, view, req)
    }
  }
  if (n === 2 && req.method === 'GET') {
    return {
      operation: `GetDeleted${one}`,
      need: need('list', readAction),
      resource,
      run: () => getDeleted(vault, view, name, req.origin)
    }
  }
  if (n === 2 && req.method === 'DELETE') {
    return {
      operation: `PurgeDeleted${one}`,
      need: need('purge', 'purge/action'),
      resource,
      run: () => purgeDeleted(vault, kind, name)
    }
  }
  if (n === 3 && third === 'recover' && req.method === 'POST') {
    return {
      operation: `RecoverDeleted${one}`,
      need: need('recover', 'recover/action'),
      resource,
      run: () => recoverDeleted(vault, view, name, req.origin)
    }
  }
  return undefined
}
