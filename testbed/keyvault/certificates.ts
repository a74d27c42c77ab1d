/**
 * The certificates REST surface. A certificate owns a key and a secret of the same name and version
 * (shown in key and secret listings with `managed: true`); they are derived from the certificate's
 * versions here, so deleting, purging, recovering or restoring the certificate carries them along.
 * Create runs through the pending-operation resource the SDK's poller reads.
 */
import { randomUUID } from 'node:crypto'
import {
  certVersion,
  completePolicy,
  importPolicy,
  isExportable,
  issue,
  newPrivateKey,
  type Policy
} from './certificate-policy.js'
import { badParameter, KvError, type Kind } from './errors.js'
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
  backupObject,
  deleteObject,
  deletedRoute,
  guardCreate,
  mustGet,
  mustVersion,
  requirementOf,
  restoreObject
} from './lifecycle.js'
import { latest, type ObjectVersion, type StoredObject } from './store.js'
import { certificateFacts, createCsr, parseImport, PEM, PFX, thumbprint } from './x509.js'

/** A create operation that has not completed yet (or has, and is kept for later GETs). */
export interface PendingCertificate {
  name: string
  requestId: string
  csr: string
  policy: Record<string, unknown>
  attributes: unknown
  tags: Record<string, string>
  polls: number
  status: 'inProgress' | 'completed'
  privateKeyPem: string
  kty: 'RSA' | 'EC'
}

function renderPolicy(vault: VaultRuntime, o: StoredObject, origin: string): unknown {
  const created = o.versions[0]?.attributes.created ?? vault.clock.nowSeconds()
  return {
    id: `${origin}/certificates/${o.name}/policy`,
    ...o.policy,
    attributes: { enabled: true, created, updated: created }
  }
}

function certificateView(vault: VaultRuntime): KindView {
  const item = (o: StoredObject, v: ObjectVersion, id: string): Record<string, unknown> => ({
    id,
    x5t: thumbprint(Buffer.from(v.cert!.cer, 'base64')),
    attributes: renderAttributes(v.attributes, vault.config),
    tags: v.tags
  })
  return {
    kind: 'certificates',
    // The bundle's members in the order of the spec's examples (ImportCertificate, GetCertificate).
    bundle: (o, v, origin) => {
      const { id, x5t, attributes, tags } = item(o, v, `${origin}/certificates/${o.name}/${v.id}`)
      return {
        id,
        kid: `${origin}/keys/${o.name}/${v.id}`,
        sid: `${origin}/secrets/${o.name}/${v.id}`,
        x5t,
        cer: v.cert!.cer,
        attributes,
        tags,
        policy: renderPolicy(vault, o, origin)
      }
    },
    item: (o, origin) => item(o, latest(o), `${origin}/certificates/${o.name}`)
  }
}

/** Fills a policy's defaults as the service does. */
function addCertificateVersion(
  vault: VaultRuntime,
  name: string,
  policy: Record<string, unknown>,
  version: ObjectVersion
): StoredObject {
  const o = guardCreate(vault, 'certificates', name) ?? { name, versions: [] }
  o.versions.push(version)
  o.policy = policy
  vault.collections.certificates.put(o)
  return o
}

function guardNameFree(vault: VaultRuntime, name: string): void {
  checkName(name)
  const now = vault.clock.now()
  for (const kind of ['secrets', 'keys'] as Kind[]) {
    if (vault.collections[kind].state(name, now) !== 'absent') {
      throw new KvError(
        409,
        'Conflict',
        `Certificate ${name} cannot be created: a ${kind === 'keys' ? 'key' : 'secret'} with the same name exists in this vault.`
      )
    }
  }
  guardCreate(vault, 'certificates', name)
}

function operationBody(p: PendingCertificate, origin: string): unknown {
  const body: Record<string, unknown> = {
    id: `${origin}/certificates/${p.name}/pending`,
    issuer: { name: (p.policy.issuer as Record<string, unknown>).name },
    csr: p.csr,
    cancellation_requested: false,
    status: p.status,
    request_id: p.requestId
  }
  if (p.status === 'inProgress') {
    body.status_details =
      'Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.'
  } else {
    body.target = `${origin}/certificates/${p.name}`
  }
  return body
}

async function createCertificate(vault: VaultRuntime, req: KvRequest, name: string): Promise<Reply> {
  const key = name.toLowerCase()
  const body = await req.readJson()
  if (vault.pendingCertificates.get(key)?.status === 'inProgress') {
    throw new KvError(409, 'Conflict', `There is already a pending operation for certificate ${name}.`)
  }
  if (!vault.collections.certificates.get(name, vault.clock.now())) guardNameFree(vault, name)
  else guardCreate(vault, 'certificates', name)
  const policy = completePolicy(body.policy as Policy, { subject: `CN=${name}` })
  const issuer = String((policy.issuer as Record<string, unknown>).name)
  if (issuer.toLowerCase() !== 'self')
    throw badParameter(`Issuer ${issuer} is not supported by the test bed; use Self.`)
  const { pem: privateKeyPem, kty } = newPrivateKey(policy)
  const pending: PendingCertificate = {
    name,
    requestId: randomUUID().replace(/-/g, ''),
    csr: createCsr(privateKeyPem, String((policy.x509_props as Record<string, unknown>).subject)),
    policy,
    attributes: body.attributes,
    tags: parseTags(body.tags),
    polls: 0,
    status: 'inProgress',
    privateKeyPem,
    kty
  }
  vault.pendingCertificates.set(key, pending)
  const location = `${req.origin}/certificates/${name}/pending?api-version=${encodeURIComponent(req.apiVersion)}&request_id=${pending.requestId}`
  return { status: 202, body: operationBody(pending, req.origin), headers: { location, 'retry-after': '10' } }
}

function pollPending(vault: VaultRuntime, req: KvRequest, name: string): Reply {
  const p = vault.pendingCertificates.get(name.toLowerCase())
  if (!p) throw new KvError(404, 'PendingCertificateNotFound', `Pending certificate not found: ${name}`)
  if (p.status === 'inProgress' && ++p.polls > vault.behaviour.certificatePendingPolls) {
    const der = issue(vault, p.policy, p.privateKeyPem)
    const contentType = String((p.policy.secret_props as Record<string, unknown>).contentType ?? PFX)
    const attributes = parseAttributes(p.attributes, vault.clock.now())
    addCertificateVersion(
      vault,
      p.name,
      p.policy,
      certVersion(der, [], p.privateKeyPem, p.kty, contentType, attributes, p.tags, isExportable(p.policy))
    )
    p.status = 'completed'
  }
  return { status: 200, body: operationBody(p, req.origin) }
}

/**
 * POST /certificates/{name}/import: PKCS#12 (base64, optional `pwd`) by default, PEM (raw or base64)
 * when `policy.secret_props.contentType` is application/x-pem-file. 200 with the certificate bundle
 * and the policy derived from the certificate (issuer "Unknown").
 */
async function importCertificate(
  vault: VaultRuntime,
  view: KindView,
  req: KvRequest,
  name: string
): Promise<Reply> {
  const body = await req.readJson()
  if (typeof body.value !== 'string') throw badParameter('Property value is required.')
  const tags = parseTags(body.tags)
  if (!vault.collections.certificates.get(name, vault.clock.now())) guardNameFree(vault, name)
  const rawPolicy = body.policy as Policy | undefined
  const requested = ((rawPolicy?.secret_props ?? {}) as Record<string, unknown>).contentType
  const format = requested === PEM ? 'pem' : 'pkcs12'
  const parsed = parseImport(
    body.value,
    typeof body.pwd === 'string' ? body.pwd : undefined,
    format,
    rawPolicy !== undefined && rawPolicy !== null
  )
  const contentType = format === 'pem' ? PEM : PFX
  const policy = importPolicy(rawPolicy, certificateFacts(parsed.certs[0]), contentType)
  const version = certVersion(
    parsed.certs[0],
    parsed.certs.slice(1),
    parsed.privateKeyPem,
    parsed.kty,
    contentType,
    parseAttributes(body.attributes, vault.clock.now()),
    tags,
    isExportable(policy)
  )
  const o = addCertificateVersion(vault, name, policy, version)
  return { status: 200, body: view.bundle(o, version, req.origin) }
}

const need = requirementOf('certificates')

/** Matches a certificates request to its operation, or undefined. */
export function certificateRoute(vault: VaultRuntime, req: KvRequest): Route | undefined {
  const [collection, name, third] = req.segments
  const view = certificateView(vault)
  const now = () => vault.clock.now()
  const res = (n?: string) => (n ? `/certificates/${n}` : '/certificates')
  const m = req.method
  const n = req.segments.length

  if (collection === 'deletedcertificates')
    return deletedRoute(vault, view, req, { list: 'read', get: 'read' })
  if (collection !== 'certificates') return undefined
  if (n === 1 && m === 'GET') {
    return {
      operation: 'ListCertificates',
      need: need('list', 'read'),
      resource: res(),
      run: () =>
        page(
          req,
          vault.collections.certificates.listActive(now()),
          o => view.item(o, req.origin),
          emptyFirstPage(vault, vault.collections.certificates)
        )
    }
  }
  if (n === 2 && name === 'restore' && m === 'POST') {
    return {
      operation: 'RestoreCertificate',
      need: need('restore', 'restore/action'),
      resource: res(),
      run: () => restoreObject(vault, view, req)
    }
  }
  if (!name || ['issuers', 'contacts'].includes(name)) return undefined
  if (n === 3 && third === 'create' && m === 'POST') {
    return {
      operation: 'CreateCertificate',
      need: need('create', 'create/action'),
      resource: res(name),
      name,
      run: () => createCertificate(vault, req, name)
    }
  }
  if (n === 3 && third === 'import' && m === 'POST') {
    return {
      operation: 'ImportCertificate',
      need: need('import', 'import/action'),
      resource: res(name),
      name,
      run: () => importCertificate(vault, view, req, name)
    }
  }
  if (n === 3 && third === 'pending' && m === 'GET') {
    return {
      operation: 'GetCertificateOperation',
      need: need('get', 'read'),
      resource: res(name),
      name,
      run: () => pollPending(vault, req, name)
    }
  }
  if (n === 3 && third === 'pending' && m === 'DELETE') {
    return {
      operation: 'DeleteCertificateOperation',
      need: need('delete', 'delete'),
      resource: res(name),
      name,
      run: () => {
        const p = vault.pendingCertificates.get(name.toLowerCase())
        if (!p) throw new KvError(404, 'PendingCertificateNotFound', `Pending certificate not found: ${name}`)
        vault.pendingCertificates.delete(name.toLowerCase())
        return { status: 200, body: operationBody(p, req.origin) }
      }
    }
  }
  if (n === 3 && third === 'policy' && m === 'GET') {
    return {
      operation: 'GetCertificatePolicy',
      need: need('get', 'read'),
      resource: res(name),
      name,
      run: () => ({
        status: 200,
        body: renderPolicy(vault, mustGet(vault, 'certificates', name), req.origin)
      })
    }
  }
  if (n === 3 && third === 'policy' && m === 'PATCH') {
    return {
      operation: 'UpdateCertificatePolicy',
      need: need('update', 'update/action'),
      resource: res(name),
      name,
      run: async () => {
        const o = mustGet(vault, 'certificates', name)
        const patch = (await req.readJson()) as Record<string, unknown>
        const merged: Record<string, unknown> = { ...o.policy }
        for (const [key, value] of Object.entries(patch)) {
          if (key === 'id' || key === 'attributes' || value === undefined || value === null) continue
          const old = merged[key]
          const both = typeof value === 'object' && !Array.isArray(value) && typeof old === 'object' && old
          merged[key] = both ? { ...(old as object), ...(value as object) } : value
        }
        o.policy = merged
        return { status: 200, body: renderPolicy(vault, o, req.origin) }
      }
    }
  }
  if (n === 3 && third === 'backup' && m === 'POST') {
    return {
      operation: 'BackupCertificate',
      need: need('backup', 'backup/action'),
      resource: res(name),
      name,
      run: () => backupObject(vault, 'certificates', mustGet(vault, 'certificates', name))
    }
  }
  if (n === 3 && third === 'versions' && m === 'GET') {
    return {
      operation: 'ListCertificateVersions',
      need: need('list', 'read'),
      resource: res(name),
      name,
      run: () => {
        const o = vault.collections.certificates.get(name, now())
        return page(
          req,
          o ? o.versions : [],
          v => ({
            ...view.item({ ...o!, versions: [v] }, req.origin),
            id: `${req.origin}/certificates/${o!.name}/${v.id}`
          }),
          false
        )
      }
    }
  }
  if (n === 2 && m === 'DELETE') {
    return {
      operation: 'DeleteCertificate',
      need: need('delete', 'delete'),
      resource: res(name),
      name,
      run: () => {
        vault.pendingCertificates.delete(name.toLowerCase())
        return deleteObject(vault, view, name, req.origin)
      }
    }
  }
  if ((n === 2 || n === 3) && m === 'GET') {
    return {
      operation: 'GetCertificate',
      need: need('get', 'read'),
      resource: res(name),
      name,
      run: () => {
        const o = mustGet(vault, 'certificates', name)
        return { status: 200, body: view.bundle(o, mustVersion('certificates', o, third ?? ''), req.origin) }
      }
    }
  }
  if ((n === 2 || n === 3) && m === 'PATCH') {
    return {
      operation: 'UpdateCertificate',
      need: need('update', 'update/action'),
      resource: res(name),
      name,
      run: async () => {
        const o = mustGet(vault, 'certificates', name)
        const v = mustVersion('certificates', o, third ?? '')
        const body = await req.readJson()
        v.attributes = {
          ...parseAttributes(body.attributes, now(), v.attributes),
          nbf: v.attributes.nbf,
          exp: v.attributes.exp
        }
        v.tags = parseTags(body.tags, v.tags)
        return { status: 200, body: view.bundle(o, v, req.origin) }
      }
    }
  }
  return undefined
}

/** Options of a seeded certificate. */
export interface SeedCertificateOptions {
  tags?: Record<string, string>
  versions?: number
  /** The secret's content type of every version (default application/x-pkcs12). */
  contentType?: string
  /**
   * Per-version content types, oldest first (missing entries: `contentType`): versions that differ in
   * content type, as after a policy change. The policy carries the current version's.
   */
  contentTypes?: string[]
  /** false: a non-exportable key; the certificate's secret then holds no private key. */
  exportable?: boolean
}

/** Seeds a self-signed RSA certificate (one key shared by its versions, for speed). */
export function seedCertificateObject(
  vault: VaultRuntime,
  name: string,
  opts: SeedCertificateOptions = {}
): void {
  guardNameFree(vault, name)
  const count = Math.max(1, opts.versions ?? 1, opts.contentTypes?.length ?? 0)
  const contentTypeOf = (i: number): string => opts.contentTypes?.[i] ?? opts.contentType ?? PFX
  const exportable = opts.exportable !== false
  const policy = completePolicy(
    {
      key_props: { exportable },
      secret_props: { contentType: contentTypeOf(count - 1) }
    },
    { subject: `CN=${name}` }
  )
  const { pem: privateKeyPem } = newPrivateKey(policy)
  for (let i = 0; i < count; i++) {
    const seconds = vault.clock.nowSeconds()
    const der = issue(vault, policy, privateKeyPem)
    addCertificateVersion(
      vault,
      name,
      policy,
      certVersion(
        der,
        [],
        privateKeyPem,
        'RSA',
        contentTypeOf(i),
        { enabled: true, created: seconds, updated: seconds },
        { ...(opts.tags ?? {}) },
        exportable
      )
    )
  }
}
