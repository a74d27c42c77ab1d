/**
 * The emulator against the recorded responses of the real service (keyvault-recorded-responses.md in
 * the shared reference: JS/Python SDK recordings, pasted issue bodies, Microsoft Learn). Exact texts,
 * statuses, inner codes, headers and body sizes; the official SDK clients judge what they can see, raw
 * HTTPS the rest.
 */
import { createHash } from 'node:crypto'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'
import {
  rawRequest,
  startTestEnv,
  TEST_APPID,
  TEST_OID,
  TEST_TENANT,
  type TestEnv
} from '../../testbed/keyvault/test-support.js'

const POLL = { intervalInMs: 50 }
const V = '?api-version=7.4'
const LONG = 60_000

async function failure(
  promise: Promise<unknown>
): Promise<{ code: string; statusCode: number; message: string }> {
  try {
    await promise
  } catch (error) {
    return error as { code: string; statusCode: number; message: string }
  }
  throw new Error('expected a failure')
}

describe('Key Vault emulator: the recorded responses of the service', () => {
  let env: TestEnv
  let vault: EmulatedVault
  let token: string

  beforeAll(async () => {
    env = await startTestEnv()
    vault = await env.vault({ name: 'recorded' })
    token = env.token()
  })
  afterAll(() => env.stop())

  const raw = (
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; token?: string | null; on?: EmulatedVault } = {}
  ) =>
    rawRequest(opts.on ?? vault, env.caPem, method, path, {
      ...(opts.token === null ? {} : { token: opts.token ?? token }),
      ...(opts.body === undefined ? {} : { body: opts.body }),
      ...(opts.headers ? { headers: opts.headers } : {})
    })

  describe('headers and body sizes', () => {
    it('sends the service headers on every answer, and echoes x-ms-client-request-id', async () => {
      vault.seedSecret('headers', 'v')
      const res = await raw('GET', `/secrets/headers${V}`, {
        headers: { 'x-ms-client-request-id': 'abc-123' }
      })
      expect(res.status).toBe(200)
      expect(res.headers).toMatchObject({
        'cache-control': 'no-cache',
        pragma: 'no-cache',
        expires: '-1',
        'content-type': 'application/json; charset=utf-8',
        'x-ms-keyvault-region': 'westeurope',
        'x-ms-client-request-id': 'abc-123',
        'x-ms-keyvault-network-info': 'conn_type=Ipv4;addr=20.42.73.160;act_addr_fam=InterNetwork;',
        'strict-transport-security': 'max-age=31536000;includeSubDomains',
        'x-content-type-options': 'nosniff'
      })
      expect(res.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.headers['x-ms-keyvault-service-version']).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
      expect(res.headers['retry-after']).toBeUndefined()
      const anonymous = await raw('GET', `/secrets/headers${V}`, { token: null })
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers['content-length']).toBe('97')
      expect(anonymous.headers.pragma).toBe('no-cache')
    })

    it('answers a purge 204 with an empty body and neither Content-Type nor Content-Length', async () => {
      const v = await env.vault({ name: 'purge-204' }, { deleteWindowMs: [0, 0], purgeWindowMs: [0, 0] })
      v.seedSecret('gone', 'v')
      expect((await raw('DELETE', `/secrets/gone${V}`, { on: v })).status).toBe(200)
      const purge = await raw('DELETE', `/deletedsecrets/gone${V}`, { on: v })
      expect(purge.status).toBe(204)
      expect(purge.body).toBeUndefined()
      expect(purge.headers['content-type']).toBeUndefined()
      expect(purge.headers['content-length']).toBeUndefined()
      expect(purge.headers).toMatchObject({ 'cache-control': 'no-cache', pragma: 'no-cache', expires: '-1' })
    })

    it('sizes a malformed blob 400 (4,728 zero bytes) at 103 bytes', async () => {
      const res = await raw('POST', `/secrets/restore${V}`, {
        body: { value: Buffer.alloc(4728).toString('base64url') }
      })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({
        error: { code: 'Malformed backup blob', message: 'Backup blob contains invalid or corrupt version.' }
      })
      expect(res.headers['content-length']).toBe('103')
    })

    it('sizes a 429 at 146 bytes, without Retry-After', async () => {
      const v = await env.vault({ name: 'throttle-146' }, { throttle: { limit: 1, windowMs: 10_000 } })
      await raw('GET', `/secrets${V}`, { on: v })
      const res = await raw('GET', `/secrets${V}`, { on: v })
      expect(res.status).toBe(429)
      expect(res.body).toEqual({
        error: {
          code: 'Throttled',
          message:
            'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached'
        }
      })
      expect(res.headers['content-length']).toBe('146')
      expect(res.headers['retry-after']).toBeUndefined()
    })

    it('answers the deleted view 404 with the recorded body', async () => {
      const res = await raw('GET', `/deletedsecrets/CRUDSecretName-canrecoveradeletedsecret-${V}`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({
        error: {
          code: 'SecretNotFound',
          message: 'Deleted Secret not found: CRUDSecretName-canrecoveradeletedsecret-'
        }
      })
      // (The recording's Content-Length, 131, is of the unsanitized name.)
    })

    it('keeps one-version backup blobs near the recorded sizes', async () => {
      vault.seedSecret('size-secret', 'RSA')
      vault.seedKey('size-key', { kty: 'RSA' })
      vault.seedCertificate('size-cert')
      const length = async (path: string) => ((await raw('POST', path)).body.value as string).length
      const near = (actual: number, recorded: number) => Math.abs(actual - recorded) / recorded
      expect(near(await length(`/secrets/size-secret/backup${V}`), 5087)).toBeLessThan(0.05)
      expect(near(await length(`/keys/size-key/backup${V}`), 10431)).toBeLessThan(0.05)
      expect(near(await length(`/certificates/size-cert/backup${V}`), 44763)).toBeLessThan(0.05)
    })
  })

  describe('conflicts (409) and the delete, purge and recovery windows', () => {
    let slow: EmulatedVault
    beforeAll(async () => {
      slow = await env.vault(
        { name: 'windows' },
        { deleteWindowMs: [LONG, LONG], purgeWindowMs: [LONG, LONG] }
      )
    })

    it('answers a restore over an active, soft-deleted or just-purged name with the recorded template', async () => {
      const name = 'backupRestoreSecretName-canrestoreasecret-'
      slow.seedSecret(name, 'RSA', { versions: 2 })
      const host = { host: 'keyvault_name.vault.azure.net' }
      const blob = (await raw('POST', `/secrets/${name}/backup${V}`, { on: slow })).body.value
      const latest = slow
        .state()
        .secrets.active.find(s => s.name === name)!
        .versions.at(-1)
      const expected = {
        error: {
          code: 'Conflict',
          message: `There was a conflict restoring the secret 'https://keyvault_name.vault.azure.net/secrets/${name}/${latest}'. This can happen if either: a second secret with the same name was created after the first secret was deleted; thus trying to restore a secret whose name is already in use. To fix this, rename the second secret to something else so that the restore works. The second probable cause of this exception is when multiple operations are performed in parallel against the secret. To avoid this error, perform operations against a secret in a sequential manner.`
        }
      }
      const restore = () =>
        raw('POST', `/secrets/restore${V}`, { on: slow, body: { value: blob }, headers: host })
      const active = await restore()
      expect(active.status).toBe(409)
      expect(active.body).toEqual(expected)
      expect((await raw('DELETE', `/secrets/${name}${V}`, { on: slow })).status).toBe(200)
      // During the delete window the create wording stays (no recording of a restore there).
      const deleting = await restore()
      expect(deleting.body.error).toEqual({
        code: 'Conflict',
        message: `Secret ${name} is currently being deleted and cannot be re-created; retry later.`,
        innererror: { code: 'ObjectIsBeingDeleted' }
      })
      env.clock.advance(LONG)
      expect((await restore()).body).toEqual(expected)
      expect((await raw('DELETE', `/deletedsecrets/${name}${V}`, { on: slow })).status).toBe(204)
      expect((await restore()).body).toEqual(expected)
      env.clock.advance(LONG)
      expect((await restore()).status).toBe(200)
    })

    it('words the key and certificate restore conflicts with the same template', async () => {
      slow.seedKey('conflict-key', { kty: 'EC' })
      slow.seedCertificate('conflict-cert')
      const { keys, certificates } = env.clients(slow)
      const key = await keys.getKey('conflict-key')
      const keyError = await failure(keys.restoreKeyBackup((await keys.backupKey('conflict-key'))!))
      expect(keyError.statusCode).toBe(409)
      expect(keyError.code).toBe('Conflict')
      expect(keyError.message).toBe(
        `There was a conflict restoring the key '${key.id}'. This can happen if either: a second key with the same name was created after the first key was deleted; thus trying to restore a key whose name is already in use. To fix this, rename the second key to something else so that the restore works. The second probable cause of this exception is when multiple operations are performed in parallel against the key. To avoid this error, perform operations against a key in a sequential manner.`
      )
      const cert = await certificates.getCertificate('conflict-cert')
      const certError = await failure(
        certificates.restoreCertificateBackup((await certificates.backupCertificate('conflict-cert'))!)
      )
      expect(certError.message).toMatch(/conflict restoring the certificate/i)
      expect(certError.message).toContain(`'${cert.properties.id}'`)
    })

    it('refuses purge and recover while the delete is still running: "Key is currently being deleted." (118 bytes)', async () => {
      slow.seedKey('x', { kty: 'EC' })
      slow.seedSecret('busy-secret', 'v')
      expect((await raw('DELETE', `/keys/x${V}`, { on: slow })).status).toBe(200)
      expect((await raw('DELETE', `/secrets/busy-secret${V}`, { on: slow })).status).toBe(200)
      const purge = await raw('DELETE', `/deletedkeys/x${V}`, { on: slow })
      expect(purge.status).toBe(409)
      expect(purge.body).toEqual({
        error: {
          code: 'Conflict',
          message: 'Key is currently being deleted.',
          innererror: { code: 'ObjectIsBeingDeleted' }
        }
      })
      expect(purge.headers['content-length']).toBe('118')
      const secretPurge = await raw('DELETE', `/deletedsecrets/busy-secret${V}`, { on: slow })
      expect(secretPurge.body.error.message).toBe('Secret is currently being deleted.')
      const recover = await raw('POST', `/deletedsecrets/busy-secret/recover${V}`, { on: slow })
      expect(recover.status).toBe(409)
      expect(recover.body.error).toEqual({
        code: 'Conflict',
        message: 'Secret is currently being deleted.',
        innererror: { code: 'ObjectIsBeingDeleted' }
      })
      // Creating the name answers with its own wording.
      const create = await raw('POST', `/keys/x/create${V}`, { on: slow, body: { kty: 'EC' } })
      expect(create.body.error).toEqual({
        code: 'Conflict',
        message: 'Key x is currently being deleted and cannot be re-created; retry later.',
        innererror: { code: 'ObjectIsBeingDeleted' }
      })
      env.clock.advance(LONG)
      const soft = await raw('POST', `/keys/x/create${V}`, { on: slow, body: { kty: 'EC' } })
      expect(soft.body.error).toEqual({
        code: 'Conflict',
        message:
          'Key x is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.',
        innererror: { code: 'ObjectIsDeletedButRecoverable' }
      })
    })

    it('answers a create during recovery (176 bytes), a second recover and a delete during recovery', async () => {
      slow.seedSecret('secret-sauce', 'v')
      const latest = slow
        .state()
        .secrets.active.find(s => s.name === 'secret-sauce')!
        .versions.at(-1)
      const host = { host: 'windows.vault.azure.net' }
      const id = `https://windows.vault.azure.net/secrets/secret-sauce/${latest}`
      await raw('DELETE', `/secrets/secret-sauce${V}`, { on: slow })
      env.clock.advance(LONG)
      expect((await raw('POST', `/deletedsecrets/secret-sauce/recover${V}`, { on: slow })).status).toBe(200)
      const create = await raw('PUT', `/secrets/secret-sauce${V}`, { on: slow, body: { value: 'w' } })
      expect(create.status).toBe(409)
      expect(create.body).toEqual({
        error: {
          code: 'Conflict',
          message: 'Secret secret-sauce is currently being recovered and cannot be re-created; retry later.',
          innererror: { code: 'ObjectIsBeingRecovered' }
        }
      })
      expect(create.headers['content-length']).toBe('176')
      const again = await raw('POST', `/deletedsecrets/secret-sauce/recover${V}`, { on: slow, headers: host })
      expect(again.status).toBe(409)
      expect(again.body).toEqual({
        error: {
          code: 'Conflict',
          message: `There was a conflict while recovering the soft-deleted secret '${id}'. This can happen when multiple operations are performed in parallel against the soft-deleted secret. To avoid this error, perform operations against the soft-deleted secret in a sequential manner.`
        }
      })
      const remove = await raw('DELETE', `/secrets/secret-sauce${V}`, { on: slow, headers: host })
      expect(remove.status).toBe(409)
      expect(remove.body).toEqual({
        error: {
          code: 'Conflict',
          message: `There was a conflict while deleting secret '${id}'. This can happen when multiple operations are performed in parallel against the secret. To avoid this error, perform operations against the secret in a sequential manner.`
        }
      })
      env.clock.advance(LONG)
      expect((await raw('GET', `/secrets/secret-sauce${V}`, { on: slow })).body.value).toBe('v')
    })

    it('answers a delete at once; the deleted view says 404 until the window ends; purge is 204', async () => {
      slow.seedSecret('eventual', 'v')
      const del = await raw('DELETE', `/secrets/eventual${V}`, { on: slow })
      expect(Object.keys(del.body)).toEqual([
        'recoveryId',
        'deletedDate',
        'scheduledPurgeDate',
        'id',
        'attributes',
        'tags'
      ])
      expect(del.body.value).toBeUndefined()
      const early = await raw('GET', `/deletedsecrets/eventual${V}`, { on: slow })
      expect(early.body).toEqual({
        error: { code: 'SecretNotFound', message: 'Deleted Secret not found: eventual' }
      })
      env.clock.advance(LONG)
      const ready = await raw('GET', `/deletedsecrets/eventual${V}`, { on: slow })
      expect(ready.status).toBe(200)
      expect(ready.body.value).toBe('v')
      expect((await raw('DELETE', `/deletedsecrets/eventual${V}`, { on: slow })).status).toBe(204)
    })
  })

  describe('secret limits and names', () => {
    it('refuses a value over 25,600 characters with SecretTooLarge', async () => {
      expect((await raw('PUT', `/secrets/big${V}`, { body: { value: 'x'.repeat(25_600) } })).status).toBe(200)
      const res = await raw('PUT', `/secrets/big${V}`, { body: { value: 'x'.repeat(25_601) } })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({
        error: {
          code: 'BadParameter',
          message: 'Secret is beyond the maximum permitted length of 25600 characters.',
          innererror: { code: 'SecretTooLarge' }
        }
      })
    })

    it('takes 15 tags and a 255-character content type; refuses a 16th tag with "Property has invalid value"', async () => {
      const { secrets } = env.clients(vault)
      const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, 'v']))
      expect(
        (await secrets.setSecret('tagged', 'v', { tags: tags(15), contentType: 'c'.repeat(255) })).value
      ).toBe('v')
      const error = await failure(secrets.setSecret('tagged', 'v', { tags: tags(16) }))
      expect(error.statusCode).toBe(400)
      expect(error.code).toBe('BadParameter')
      const res = await raw('PUT', `/secrets/tagged${V}`, { body: { value: 'v', tags: tags(16) } })
      expect(res.body).toEqual({ error: { code: 'BadParameter', message: 'Property has invalid value\r\n' } })
      const keyRes = await raw('POST', `/keys/tagged-key/create${V}`, { body: { kty: 'EC', tags: tags(16) } })
      expect(keyRes.body.error.message).toBe('Property has invalid value\r\n')
      const long = await raw('PUT', `/secrets/tagged${V}`, {
        body: { value: 'v', contentType: 'c'.repeat(256) }
      })
      expect(long.status).toBe(400)
      expect(long.body.error.code).toBe('BadParameter')
    })

    it('accepts names starting with a digit or a dash; refuses others with "invalid name" on every route', async () => {
      const { secrets } = env.clients(vault)
      expect((await secrets.setSecret('1st-secret', 'a')).name).toBe('1st-secret')
      expect((await secrets.setSecret('-dash', 'b')).name).toBe('-dash')
      const error = await failure(secrets.getSecret('Invalid_Secret_Name'))
      expect(error.statusCode).toBe(400)
      expect(error.code).toBe('BadParameter')
      expect(error.message).toBe('The request URI contains an invalid name: Invalid_Secret_Name')
      const put = await raw('PUT', `/secrets/secret_name${V}`, { body: { value: 'v' } })
      expect(put.body).toEqual({
        error: { code: 'BadParameter', message: 'The request URI contains an invalid name: secret_name' }
      })
      expect((await raw('PUT', `/secrets/${'a'.repeat(127)}${V}`, { body: { value: 'v' } })).status).toBe(200)
      expect((await raw('PUT', `/secrets/${'a'.repeat(128)}${V}`, { body: { value: 'v' } })).status).toBe(400)
      expect((await raw('GET', `/deletedkeys/bad.name${V}`)).status).toBe(400)
    })
  })

  describe('disabled secrets and reading values with get', () => {
    it('answers PUT enabled:false with the value, GET with 403 SecretDisabled (132 bytes); lists show it', async () => {
      const put = await raw('PUT', `/secrets/off${V}`, {
        body: { value: 'hidden', attributes: { enabled: false } }
      })
      expect(put.status).toBe(200)
      expect(put.body.value).toBe('hidden')
      expect(put.body.attributes.enabled).toBe(false)
      const get = await raw('GET', `/secrets/off/${V}`)
      expect(get.status).toBe(403)
      expect(get.body).toEqual({
        error: {
          code: 'Forbidden',
          message: 'Operation get is not allowed on a disabled secret.',
          innererror: { code: 'SecretDisabled' }
        }
      })
      expect(get.headers['content-length']).toBe('132')
      const { secrets } = env.clients(vault)
      const version = put.body.id.split('/').at(-1)
      const byVersion = await failure(secrets.getSecret('off', { version }))
      expect(byVersion.statusCode).toBe(403)
      expect(byVersion.code).toBe('Forbidden')
      const listed = []
      for await (const p of secrets.listPropertiesOfSecrets()) if (p.name === 'off') listed.push(p.enabled)
      expect(listed).toEqual([false])
    })

    it('lets a reader with get (Key Vault Secrets User) read values by name and version, not back them up', async () => {
      const user = 'c0000000-0000-4000-8000-000000000001'
      const v = await env.vault({
        name: 'secrets-user',
        roleAssignments: [{ principalId: user, role: 'Key Vault Secrets User' }]
      })
      v.seedSecret('db', 'final', { versions: 2 })
      const { secrets } = env.clients(v, env.credential(user))
      expect((await secrets.getSecret('db')).value).toBe('final')
      const versions = []
      for await (const p of secrets.listPropertiesOfSecretVersions('db')) versions.push(p.version!)
      const values = await Promise.all(versions.map(version => secrets.getSecret('db', { version })))
      expect(values.map(s => s.value).sort()).toEqual(['final', 'final#v1'])
      expect((await failure(secrets.backupSecret('db'))).statusCode).toBe(403)
    })
  })

  describe('the deleted view: get needs get and returns the value; list needs list', () => {
    it('access policies: list without get lists deleted secrets (no values) but cannot read one', async () => {
      const lister = 'd0000000-0000-4000-8000-000000000001'
      const v = await env.vault(
        {
          name: 'deleted-ap',
          accessModel: 'accessPolicy',
          roleAssignments: [],
          accessPolicies: [
            {
              objectId: lister,
              permissions: { secrets: ['list', 'delete', 'purge'], keys: ['list', 'delete'] }
            },
            { objectId: TEST_OID, permissions: { secrets: ['get', 'list'], keys: ['get'] } }
          ]
        },
        { deleteWindowMs: [0, 0] }
      )
      v.seedSecret('s', 'the value', { tags: { a: 'b' } })
      v.seedKey('k', { kty: 'EC' })
      const asLister = env.clients(v, env.credential(lister))
      // The SDK's delete poller reads GET /deletedsecrets/{name}; its 403 counts as "done".
      const poller = await asLister.secrets.beginDeleteSecret('s', POLL)
      await poller.pollUntilDone()
      await (await asLister.keys.beginDeleteKey('k', POLL)).pollUntilDone()
      const listed = []
      for await (const d of asLister.secrets.listDeletedSecrets()) listed.push(d)
      expect(listed.map(d => [d.name, d.value, d.properties.tags])).toEqual([['s', undefined, { a: 'b' }]])
      const error = await failure(asLister.secrets.getDeletedSecret('s'))
      expect(error.statusCode).toBe(403)
      expect(error.code).toBe('Forbidden')
      expect(error.message).toBe(
        `The user, group or application 'appid=${TEST_APPID};oid=${lister};iss=https://sts.windows.net/${TEST_TENANT}/' does not have secrets get permission on key vault 'deleted-ap;location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`
      )
      expect((await failure(asLister.keys.getDeletedKey('k'))).statusCode).toBe(403)
      const asReader = env.clients(v)
      const deleted = await asReader.secrets.getDeletedSecret('s')
      expect(deleted.value).toBe('the value')
      expect(deleted.properties.recoveryId).toBe(`${v.localUrl}/deletedsecrets/s`)
      expect((await asReader.keys.getDeletedKey('k')).key?.d).toBeUndefined()
    })

    it('RBAC: readMetadata lists deleted secrets; getSecret/action, keys/read, certificates/read read them', async () => {
      const meta = 'd0000000-0000-4000-8000-000000000002'
      const reader = 'd0000000-0000-4000-8000-000000000003'
      const v = await env.vault(
        {
          name: 'deleted-rbac',
          roleAssignments: [
            { principalId: TEST_OID, role: 'Key Vault Administrator' },
            { principalId: meta, dataActions: ['Microsoft.KeyVault/vaults/secrets/readMetadata/action'] },
            {
              principalId: reader,
              dataActions: [
                'Microsoft.KeyVault/vaults/secrets/getSecret/action',
                'Microsoft.KeyVault/vaults/keys/read',
                'Microsoft.KeyVault/vaults/certificates/read'
              ]
            }
          ]
        },
        { deleteWindowMs: [0, 0] }
      )
      v.seedSecret('s', 'v')
      v.seedKey('k', { kty: 'EC' })
      v.seedCertificate('c')
      const admin = env.clients(v)
      await (await admin.secrets.beginDeleteSecret('s', POLL)).pollUntilDone()
      await (await admin.keys.beginDeleteKey('k', POLL)).pollUntilDone()
      await (await admin.certificates.beginDeleteCertificate('c', POLL)).pollUntilDone()
      const asMeta = env.clients(v, env.credential(meta)).secrets
      const names = []
      for await (const d of asMeta.listDeletedSecrets()) names.push(d.name)
      expect(names).toEqual(['s'])
      const error = await failure(asMeta.getDeletedSecret('s'))
      expect(error.statusCode).toBe(403)
      expect(error.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'")
      const asReader = env.clients(v, env.credential(reader))
      expect((await asReader.secrets.getDeletedSecret('s')).value).toBe('v')
      expect((await asReader.keys.getDeletedKey('k')).name).toBe('k')
      expect((await asReader.certificates.getDeletedCertificate('c')).name).toBe('c')
      expect((await failure(env.clients(v, env.credential(meta)).keys.getDeletedKey('k'))).statusCode).toBe(
        403
      )
    })
  })

  describe('paging', () => {
    it('pages 1..25 per page; the last page says "nextLink":null; items have the recorded shape', async () => {
      const v = await env.vault({ name: 'paging-shape' }, { emptyFirstPage: 'never' })
      v.seedSecret('tmpAddUserScript', 'v')
      v.seedSecret('zz-second', 'v')
      const bad = await raw('GET', `/secrets${V}&maxresults=0`, { on: v })
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('BadParameter')
      expect((await raw('GET', `/secrets${V}&maxresults=26`, { on: v })).status).toBe(400)
      const host = { host: 'northpole-it-kv.vault.azure.net' }
      const first = await raw('GET', `/secrets${V}&maxresults=1`, { on: v, headers: host })
      const created = first.body.value[0].attributes.created
      expect(first.body.value).toEqual([
        {
          id: 'https://northpole-it-kv.vault.azure.net/secrets/tmpAddUserScript',
          attributes: {
            enabled: true,
            created,
            updated: created,
            recoveryLevel: 'Recoverable+Purgeable',
            recoverableDays: 90
          },
          tags: {}
        }
      ])
      expect(Object.keys(first.body.value[0])).toEqual(['id', 'attributes', 'tags'])
      expect(first.body.nextLink).toMatch(
        /^https:\/\/northpole-it-kv\.vault\.azure\.net:443\/secrets\?api-version=7\.4&\$skiptoken=[A-Za-z0-9_-]+&maxresults=1$/
      )
      const last = await raw(
        'GET',
        new URL(first.body.nextLink).pathname + new URL(first.body.nextLink).search,
        {
          on: v
        }
      )
      expect(last.body.value.map((i: { id: string }) => i.id.split('/').at(-1))).toEqual(['zz-second'])
      expect(last.body.nextLink).toBeNull()
      expect((await raw('GET', `/secrets${V}&maxresults=25`, { on: v })).body.nextLink).toBeNull()
    })

    it('may start with an empty page whose nextLink the SDK follows', async () => {
      const v = await env.vault({ name: 'paging-empty' }, { emptyFirstPage: 'always' })
      v.seedSecret('only', 'v')
      const res = await raw('GET', `/secrets${V}`, {
        on: v,
        headers: { host: 'paging-empty.vault.azure.net' }
      })
      expect(res.body.value).toEqual([])
      expect(res.body.nextLink).toMatch(
        /^https:\/\/paging-empty\.vault\.azure\.net:443\/secrets\?.*\$skiptoken=/
      )
      const names = []
      for await (const p of env.clients(v).secrets.listPropertiesOfSecrets()) names.push(p.name)
      expect(names).toEqual(['only'])
    })
  })

  describe('backup blobs from another security world', () => {
    it.each([
      [400, 'BadParameter', undefined],
      [400, 'BadRequest', undefined],
      [409, 'Conflict', undefined],
      [500, 'InternalServerError', undefined],
      [403, 'Forbidden', 'CannotDecrypt']
    ])('answers "Cannot decrypt backup blob." with the configured %i %s', async (status, code, innerCode) => {
      const hash = createHash('sha1').update(`${status}${code}`).digest('hex').slice(0, 6)
      const home = await env.vault({ name: `home-${hash}` })
      const away = await env.vault(
        { name: `away-${hash}`, geography: 'United States', location: 'eastus' },
        { foreignBlobError: { status, code, ...(innerCode ? { innerCode } : {}) } }
      )
      home.seedSecret('travel', 'v')
      const blob = (await env.clients(home).secrets.backupSecret('travel'))!
      const error = await failure(env.clients(away).secrets.restoreSecretBackup(blob))
      expect(error.statusCode).toBe(status)
      expect(error.code).toBe(code)
      expect(error.message).toBe('Cannot decrypt backup blob.')
      const res = await raw('POST', `/secrets/restore${V}`, {
        on: away,
        body: { value: Buffer.from(blob).toString('base64url') }
      })
      expect(res.body).toEqual({
        error: {
          code,
          message: 'Cannot decrypt backup blob.',
          ...(innerCode ? { innererror: { code: innerCode } } : {})
        }
      })
    })

    it('defaults to 400 BadParameter', async () => {
      expect(vault.behaviour.foreignBlobError).toEqual({ status: 400, code: 'BadParameter' })
    })
  })

  describe('the vault firewall', () => {
    it('lets callers in from an allowed address or range and refuses others with ForbiddenByFirewall', async () => {
      const v = await env.vault({
        name: 'walled',
        location: 'westeurope',
        networkAcls: { defaultAction: 'Deny', ipRules: ['20.42.73.0/24', '198.51.100.7'] }
      })
      v.seedSecret('s', 'v')
      const { secrets } = env.clients(v)
      expect((await secrets.getSecret('s')).value).toBe('v')
      v.behaviour.clientAddress = '198.51.100.7'
      expect((await secrets.getSecret('s')).value).toBe('v')
      v.behaviour.clientAddress = '203.0.113.9'
      const error = await failure(secrets.getSecret('s'))
      expect(error.statusCode).toBe(403)
      expect(error.code).toBe('Forbidden')
      const res = await raw('GET', `/secrets/s${V}`, { on: v })
      expect(res.body).toEqual({
        error: {
          code: 'Forbidden',
          message: `Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.9\r\nCaller: appid=${TEST_APPID};oid=${TEST_OID};iss=https://sts.windows.net/${TEST_TENANT}/\r\nVault: walled;location=westeurope`,
          innererror: { code: 'ForbiddenByFirewall' }
        }
      })
      expect(res.headers['x-ms-keyvault-network-info']).toBe(
        'conn_type=Ipv4;addr=203.0.113.9;act_addr_fam=InterNetwork;'
      )
      // The challenge still comes first: the caller is named only once the token is known.
      expect((await raw('GET', `/secrets/s${V}`, { on: v, token: null })).status).toBe(401)
    })

    it('lets everyone in under defaultAction Allow or without network rules', async () => {
      const open = await env.vault(
        { name: 'open-acl', networkAcls: { defaultAction: 'Allow', ipRules: [] } },
        { clientAddress: '203.0.113.9' }
      )
      open.seedSecret('s', 'v')
      expect((await env.clients(open).secrets.getSecret('s')).value).toBe('v')
      vault.seedSecret('no-acl', 'v')
      vault.behaviour.clientAddress = '203.0.113.9'
      try {
        expect((await env.clients(vault).secrets.getSecret('no-acl')).value).toBe('v')
      } finally {
        vault.behaviour.clientAddress = '20.42.73.160'
      }
    })
  })
})
