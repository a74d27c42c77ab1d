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
  parallelDelete,
  parallelRecover,
  purgeProtected,
  restoreConflict,
  stillBeingDeleted,
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

/** DELETE and recover answer a secret without its value (the deleted view's GET keeps it). */
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

/** The versioned id of an object's current version, as conflict messages quote it. */
function versionedId(kind: Kind, o: StoredObject, origin: string): string {
  return `${origin}/${kind}/${o.name}/${latest(o).id}`
}

/**
 * DELETE /{c}/{name}: soft delete, answered at once; the deleted view follows after the window. A
 * delete that meets a recovery under way is the service's "conflict while deleting" 409.
 */
export function deleteObject(vault: VaultRuntime, view: KindView, name: string, origin: string): Reply {
  const c = vault.collections[view.kind]
  const now = vault.clock.now()
  if (c.state(name, now) === 'recovering') {
    throw parallelDelete(view.kind, versionedId(view.kind, c.active.get(name.toLowerCase())!, origin))
  }
  const o = mustGet(vault, view.kind, name)
  const d = vault.collections[view.kind].softDelete(
    o.name,
    now,
    retentionDays(vault.config),
    within(vault.behaviour.deleteWindowMs, vault.windowRandom)
  )
  return ok({ ...deletedExtra(d, view, origin), ...withoutValue(view.bundle(o, latest(o), origin)) })
}

function mustDeleted(vault: VaultRuntime, kind: Kind, name: string): DeletedObject {
  const d = vault.collections[kind].getDeleted(name, vault.clock.now())
  if (!d) throw deletedNotFound(kind, name)
  return d
}

/** GET /deleted{c}/{name}: the deleted bundle; a secret's carries its value (DeletedSecretBundle). */
export function getDeleted(vault: VaultRuntime, view: KindView, name: string, origin: string): Reply {
  const d = mustDeleted(vault, view.kind, name)
  return ok({ ...deletedExtra(d, view, origin), ...view.bundle(d.object, latest(d.object), origin) })
}

/** GET /deleted{c}. */
export function listDeleted(vault: VaultRuntime, view: KindView, req: KvRequest): Reply {
  const c = vault.collections[view.kind]
  const all = c.listDeleted(vault.clock.now())
  return page(
    req,
    all,
    d => ({ ...deletedExtra(d, view, req.origin), ...view.item(d.object, req.origin) }),
    emptyFirstPage(vault, c)
  )
}

/**
 * DELETE /deleted{c}/{name}: 204 at once; the name stays taken for the purge window. During the
 * asynchronous delete: 409 "Secret is currently being deleted." (ObjectIsBeingDeleted).
 */
export function purgeDeleted(vault: VaultRuntime, kind: Kind, name: string): Reply {
  const c = vault.collections[kind]
  const now = vault.clock.now()
  if (c.state(name, now) === 'deleting') throw stillBeingDeleted(kind)
  mustDeleted(vault, kind, name)
  if (vault.config.purgeProtection) throw purgeProtected()
  c.purge(name, now, within(vault.behaviour.purgeWindowMs, vault.windowRandom))
  return { status: 204 }
}

/**
 * POST /deleted{c}/{name}/recover: 200 with the live bundle; the object answers 404 for the recovery
 * window. A second recover during that window is the service's "conflict while recovering" 409; a
 * recover during the asynchronous delete answers like a purge then (inferred).
 */
export function recoverDeleted(vault: VaultRuntime, view: KindView, name: string, origin: string): Reply {
  const c = vault.collections[view.kind]
  const now = vault.clock.now()
  const state = c.state(name, now)
  if (state === 'deleting') throw stillBeingDeleted(view.kind)
  if (state === 'recovering') {
    throw parallelRecover(view.kind, versionedId(view.kind, c.active.get(name.toLowerCase())!, origin))
  }
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
  const { object } = openBlob(
    Buffer.from(body.value, 'base64url'),
    view.kind,
    vault.config,
    vault.behaviour.foreignBlobError
  )
  const c = vault.collections[view.kind]
  const state = c.state(object.name, vault.clock.now())
  // Recorded: in use, soft-deleted, or just purged -> the restore conflict. During the asynchronous
  // delete the create wording (ObjectIsBeingDeleted) stays: no recording says otherwise.
  if (state === 'active' || state === 'recovering' || state === 'purging' || state === 'deleted') {
    throw restoreConflict(view.kind, versionedId(view.kind, object, req.origin))
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

/** The data actions that read a kind: its listing (and deleted listing), and a single object (and deleted one). */
export interface ReadActions {
  /** e.g. `readMetadata/action` (secrets), `read` (keys, certificates). */
  list: string
  /** e.g. `getSecret/action` (secrets), `read` (keys, certificates). */
  get: string
}

/**
 * Routes of a deleted-objects collection (`/deleted{kind}`): list, get, purge and recover. Listing
 * needs `list`; reading one deleted object needs `get` (REST "Get Deleted Secret": "This operation
 * requires the secrets/get permission"), with the data action that reads a live object.
 */
export function deletedRoute(
  vault: VaultRuntime,
  view: KindView,
  req: KvRequest,
  actions: ReadActions
): Route | undefined {
  const kind = view.kind
  const [, name, third] = req.segments
  const n = req.segments.length
  const need = requirementOf(kind)
  const resource = name ? `/${kind}/${name}` : `/${kind}`
  const one = SINGULAR[kind]
  if (n === 1 && req.method === 'GET') {
    return {
      operation: `ListDeleted${one}s`,
      need: need('list', actions.list),
      resource,
      run: () => listDeleted(vault, view, req)
    }
  }
  if (!name) return undefined
  if (n === 2 && req.method === 'GET') {
    return {
      operation: `GetDeleted${one}`,
      need: need('get', actions.get),
      resource,
      name,
      run: () => getDeleted(vault, view, name, req.origin)
    }
  }
  if (n === 2 && req.method === 'DELETE') {
    return {
      operation: `PurgeDeleted${one}`,
      need: need('purge', 'purge/action'),
      resource,
      name,
      run: () => purgeDeleted(vault, kind, name)
    }
  }
  if (n === 3 && third === 'recover' && req.method === 'POST') {
    return {
      operation: `RecoverDeleted${one}`,
      need: need('recover', 'recover/action'),
      resource,
      name,
      run: () => recoverDeleted(vault, view, name, req.origin)
    }
  }
  return undefined
}
