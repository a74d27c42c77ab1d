import { SecretClient } from '@azure/keyvault-secrets'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'
import {
  rawRequest,
  startTestEnv,
  TEST_OID,
  TEST_TENANT,
  type TestEnv
} from '../../testbed/keyvault/test-support.js'
import { createSigningKey, signJwt } from '../../testbed/jwt.js'

const POLL = { intervalInMs: 50 }
const V = '?api-version=7.4'

async function failure(promise: Promise<unknown>): Promise<{
  code: string
  statusCode: number
  message: string
  response?: { headers: { get(n: string): string | undefined } }
}> {
  try {
    await promise
  } catch (error) {
    return error as { code: string; statusCode: number; message: string }
  }
  throw new Error('expected a failure')
}

describe('Key Vault emulator: service behaviour (auth, errors, limits, windows, blobs)', () => {
  let env: TestEnv
  let prod: EmulatedVault

  beforeAll(async () => {
    env = await startTestEnv()
    prod = await env.vault({ name: 'prod' })
  })
  afterAll(() => env.stop())

  describe('HTTP core and authentication', () => {
    it('challenges a request without a token before reading its body', async () => {
      const res = await rawRequest(prod, env.caPem, 'POST', `/secrets/x/backup${V}`)
      expect(res.status).toBe(401)
      expect(res.body).toEqual({
        error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' }
      })
      expect(res.headers['www-authenticate']).toBe(
        `Bearer authorization="https://login.microsoftonline.com/${TEST_TENANT}", resource="https://vault.azure.net"`
      )
      expect(env.emulator.requestLog.at(-1)).toMatchObject({
        vault: 'prod',
        method: 'POST',
        path: '/secrets/x/backup',
        principal: 'anonymous',
        status: 401,
        operation: 'BackupSecret'
      })
    })

    it.each([
      ['a wrong audience', { aud: 'https://management.azure.com' }, /Invalid audience/],
      ['another tenant', { tid: '00000000-0000-0000-0000-000000000000' }, /Invalid issuer/],
      ['an expired token', { exp: Math.floor(Date.now() / 1000) - 3600 }, /expired/]
    ])('refuses %s with 401', async (_name, claims, message) => {
      const res = await rawRequest(prod, env.caPem, 'GET', `/secrets${V}`, {
        token: env.token(TEST_OID, claims)
      })
      expect(res.status).toBe(401)
      expect(res.body.error.message).toMatch(message)
      expect(res.headers['www-authenticate']).toContain('resource="https://vault.azure.net"')
    })

    it('refuses a token signed by another key and accepts an audience with a trailing slash', async () => {
      const forged = signJwt(
        {
          aud: 'https://vault.azure.net',
          tid: TEST_TENANT,
          oid: TEST_OID,
          exp: Math.floor(Date.now() / 1000) + 600
        },
        createSigningKey()
      )
      expect((await rawRequest(prod, env.caPem, 'GET', `/secrets${V}`, { token: forged })).status).toBe(401)
      const slash = env.token(TEST_OID, { aud: 'https://vault.azure.net/' })
      expect((await rawRequest(prod, env.caPem, 'GET', `/secrets${V}`, { token: slash })).status).toBe(200)
    })

    it('decodes percent-encoded query keys, accepts api-versions from 7.0 and refuses older or none', async () => {
      const token = env.token()
      expect(
        (await rawRequest(prod, env.caPem, 'GET', '/secrets?api%2Dversion=2026-04-01', { token })).status
      ).toBe(200)
      expect((await rawRequest(prod, env.caPem, 'GET', '/secrets?api-version=7.0', { token })).status).toBe(
        200
      )
      const old = await rawRequest(prod, env.caPem, 'GET', '/secrets?api-version=2016-10-01x', { token })
      expect(old.status).toBe(400)
      expect(
        (await rawRequest(prod, env.caPem, 'GET', '/secrets?api-version=6.0', { token })).body.error.code
      ).toBe('BadParameter')
      expect((await rawRequest(prod, env.caPem, 'GET', '/secrets', { token })).status).toBe(400)
    })

    it('builds ids and nextLinks from the Host header (nextLinks name port 443, ids do not)', async () => {
      prod.seedSecret('host-a', 'a')
      prod.seedSecret('host-b', 'b')
      const res = await rawRequest(prod, env.caPem, 'GET', `/secrets${V}&maxresults=1`, {
        token: env.token(),
        headers: { host: 'prod.vault.azure.net' }
      })
      expect(res.body.value[0].id).toMatch(/^https:\/\/prod\.vault\.azure\.net\/secrets\//)
      expect(res.body.nextLink).toMatch(
        /^https:\/\/prod\.vault\.azure\.net:443\/secrets\?api-version=7\.4&\$skiptoken=.+&maxresults=1$/
      )
      const one = await rawRequest(prod, env.caPem, 'GET', `/secrets/host-a/${V}`, {
        token: env.token(),
        headers: { host: 'prod.vault.azure.net' }
      })
      expect(one.body.id).toMatch(/^https:\/\/prod\.vault\.azure\.net\/secrets\/host-a\/[0-9a-f]{32}$/)
      expect(Number.isInteger(one.body.attributes.created)).toBe(true)
    })
  })

  describe('permissions', () => {
    it('answers access-policy 403s with the AccessDenied wording', async () => {
      const vault = await env.vault({
        name: 'ap-vault',
        accessModel: 'accessPolicy',
        roleAssignments: [],
        accessPolicies: [{ objectId: TEST_OID, permissions: { secrets: ['get', 'list'] } }]
      })
      vault.seedSecret('s', 'v')
      const { secrets } = env.clients(vault)
      expect((await secrets.getSecret('s')).value).toBe('v')
      const error = await failure(secrets.backupSecret('s'))
      expect(error.statusCode).toBe(403)
      expect(error.code).toBe('Forbidden')
      expect(error.message).toContain(
        `does not have secrets backup permission on key vault 'ap-vault;location=westeurope'`
      )
      const raw = await rawRequest(vault, env.caPem, 'POST', `/secrets/s/backup${V}`, { token: env.token() })
      expect(raw.body.error.innererror).toEqual({ code: 'AccessDenied' })
      expect(raw.body.error.message).toContain(`'appid=`)
    })

    it('answers RBAC 403s with the ForbiddenByRbac wording; custom roles take wildcards', async () => {
      const reader = 'b0000000-0000-4000-8000-000000000001'
      const backupOnly = 'b0000000-0000-4000-8000-000000000002'
      const vault = await env.vault({
        name: 'rbac-vault',
        roleAssignments: [
          { principalId: reader, role: 'Key Vault Reader' },
          {
            principalId: backupOnly,
            dataActions: [
              'Microsoft.KeyVault/vaults/*/readMetadata/action',
              'Microsoft.KeyVault/vaults/secrets/backup/*'
            ]
          }
        ]
      })
      vault.seedSecret('s', 'v')
      const asReader = env.clients(vault, env.credential(reader)).secrets
      const names = []
      for await (const p of asReader.listPropertiesOfSecrets()) names.push(p.name)
      expect(names).toEqual(['s'])
      expect((await failure(asReader.getSecret('s'))).statusCode).toBe(403)
      const error = await failure(asReader.backupSecret('s'))
      expect(error.statusCode).toBe(403)
      expect(error.message).toContain('Caller is not authorized to perform action on resource.')
      expect(error.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/backup/action'")
      const raw = await rawRequest(vault, env.caPem, 'POST', `/secrets/s/backup${V}`, {
        token: env.token(reader)
      })
      expect(raw.body.error.innererror).toEqual({ code: 'ForbiddenByRbac' })
      const custom = env.clients(vault, env.credential(backupOnly)).secrets
      expect(await custom.backupSecret('s')).toBeInstanceOf(Uint8Array)
      expect((await failure(custom.getSecret('s'))).statusCode).toBe(403)
      expect(
        env.emulator.requestLog.filter(e => e.principal === backupOnly && e.status === 200).length
      ).toBeGreaterThan(0)
    })
  })

  describe('soft delete, purge protection, retention', () => {
    it('reports recovery levels and refuses purge under purge protection', async () => {
      const vault = await env.vault({ name: 'protected', purgeProtection: true })
      const { secrets } = env.clients(vault)
      const s = await secrets.setSecret('p', 'v')
      expect(s.properties.recoveryLevel).toBe('Recoverable')
      await (await secrets.beginDeleteSecret('p', POLL)).pollUntilDone()
      const error = await failure(secrets.purgeDeletedSecret('p'))
      expect(error.statusCode).toBe(403)
      expect(error.code).toBe('Forbidden')
      expect(error.message).toBe(
        'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.'
      )
      await (await secrets.beginRecoverDeletedSecret('p', POLL)).pollUntilDone()
    })

    it('drops deleted items once the clock passes their scheduled purge date', async () => {
      const vault = await env.vault({ name: 'short-retention', softDeleteRetentionDays: 7 })
      const { secrets } = env.clients(vault)
      const s = await secrets.setSecret('r', 'v')
      expect(s.properties.recoveryLevel).toBe('CustomizedRecoverable+Purgeable')
      const deleted = await (await secrets.beginDeleteSecret('r', POLL)).pollUntilDone()
      expect(deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()).toBe(
        7 * 86400_000
      )
      env.clock.advance(7 * 86400_000 + 1000)
      expect((await failure(secrets.getDeletedSecret('r'))).statusCode).toBe(404)
      expect((await secrets.setSecret('r', 'again')).value).toBe('again')
    })

    it('keeps the deleted view at 404 and the name at 409 ObjectIsBeingDeleted through the delete window', async () => {
      const vault = await env.vault(
        { name: 'slow-delete' },
        { deleteWindowMs: [60_000, 60_000], purgeWindowMs: [30_000, 30_000] }
      )
      vault.seedSecret('w', 'v')
      const token = env.token()
      expect((await rawRequest(vault, env.caPem, 'DELETE', `/secrets/w${V}`, { token })).status).toBe(200)
      const early = await rawRequest(vault, env.caPem, 'GET', `/deletedsecrets/w${V}`, { token })
      expect(early.status).toBe(404)
      expect(early.body.error.message).toBe('Deleted Secret not found: w')
      const busy = await rawRequest(vault, env.caPem, 'PUT', `/secrets/w${V}`, {
        token,
        body: { value: 'x' }
      })
      expect(busy.status).toBe(409)
      expect(busy.body.error).toMatchObject({
        code: 'Conflict',
        innererror: { code: 'ObjectIsBeingDeleted' }
      })
      expect(busy.body.error.message).toBe(
        'Secret w is currently being deleted and cannot be re-created; retry later.'
      )
      env.clock.advance(60_000)
      expect((await rawRequest(vault, env.caPem, 'GET', `/deletedsecrets/w${V}`, { token })).status).toBe(200)
      const soft = await rawRequest(vault, env.caPem, 'PUT', `/secrets/w${V}`, {
        token,
        body: { value: 'x' }
      })
      expect(soft.body.error.innererror).toEqual({ code: 'ObjectIsDeletedButRecoverable' })
      // Purge: 204 at once, then both views 404 while the name still answers 409.
      expect((await rawRequest(vault, env.caPem, 'DELETE', `/deletedsecrets/w${V}`, { token })).status).toBe(
        204
      )
      expect((await rawRequest(vault, env.caPem, 'GET', `/deletedsecrets/w${V}`, { token })).status).toBe(404)
      expect((await rawRequest(vault, env.caPem, 'GET', `/secrets/w${V}`, { token })).status).toBe(404)
      expect(
        (await rawRequest(vault, env.caPem, 'PUT', `/secrets/w${V}`, { token, body: { value: 'x' } })).status
      ).toBe(409)
      env.clock.advance(30_000)
      expect(
        (await rawRequest(vault, env.caPem, 'PUT', `/secrets/w${V}`, { token, body: { value: 'x' } })).status
      ).toBe(200)
      // Recover: 200 at once, then a window of 404 for GET and ObjectIsBeingRecovered for set.
      expect((await rawRequest(vault, env.caPem, 'DELETE', `/secrets/w${V}`, { token })).status).toBe(200)
      env.clock.advance(60_000)
      expect(
        (await rawRequest(vault, env.caPem, 'POST', `/deletedsecrets/w/recover${V}`, { token })).status
      ).toBe(200)
      const recovering = await rawRequest(vault, env.caPem, 'PUT', `/secrets/w${V}`, {
        token,
        body: { value: 'y' }
      })
      expect(recovering.body.error.innererror).toEqual({ code: 'ObjectIsBeingRecovered' })
      expect((await rawRequest(vault, env.caPem, 'GET', `/secrets/w${V}`, { token })).status).toBe(404)
      env.clock.advance(60_000)
      expect((await rawRequest(vault, env.caPem, 'GET', `/secrets/w${V}`, { token })).body.value).toBe('x')
    })
  })

  describe('pagination', () => {
    it('starts a listing with an empty page carrying a nextLink when deleted items exist; clients follow it', async () => {
      const vault = await env.vault({ name: 'paging' })
      for (let i = 0; i < 5; i++) vault.seedSecret(`item-${i}`, 'v')
      const { secrets } = env.clients(vault)
      await (await secrets.beginDeleteSecret('item-4', POLL)).pollUntilDone()
      const raw = await rawRequest(vault, env.caPem, 'GET', `/secrets${V}&maxresults=2`, {
        token: env.token()
      })
      expect(raw.body.value).toEqual([])
      expect(raw.body.nextLink).toMatch(new RegExp(`^${vault.localUrl}/secrets\\?`))
      const pages: string[][] = []
      for await (const page of secrets.listPropertiesOfSecrets().byPage({ maxPageSize: 2 }))
        pages.push(page.map(p => p.name))
      expect(pages[0]).toEqual([])
      expect(pages.flat()).toEqual(['item-0', 'item-1', 'item-2', 'item-3'])
      expect(Math.max(...pages.map(p => p.length))).toBe(2)
      const deleted = []
      for await (const d of secrets.listDeletedSecrets()) deleted.push(d.name)
      expect(deleted).toEqual(['item-4'])
      const bad = await rawRequest(vault, env.caPem, 'GET', `/secrets${V}&maxresults=26`, {
        token: env.token()
      })
      expect(bad.status).toBe(400)
    })
  })

  describe('backup blobs', () => {
    it('restores within the security world, refuses another world and tampered blobs', async () => {
      const staging = await env.vault({ name: 'staging' })
      const elsewhere = await env.vault({ name: 'elsewhere', location: 'eastus', geography: 'United States' })
      prod.seedSecret('travel', 'v', { versions: 2 })
      const blob = (await env.clients(prod).secrets.backupSecret('travel'))!
      expect((await env.clients(staging).secrets.restoreSecretBackup(blob)).name).toBe('travel')
      const foreign = await failure(env.clients(elsewhere).secrets.restoreSecretBackup(blob))
      expect(foreign.statusCode).toBe(400)
      expect(foreign.message).toBe('Cannot decrypt backup blob.')
      const tampered = Buffer.from(blob)
      tampered[tampered.length - 40] ^= 0x01
      const corrupt = await failure(env.clients(staging).secrets.restoreSecretBackup(tampered))
      expect(corrupt.statusCode).toBe(400)
      expect(corrupt.code).toBe('Malformed backup blob')
      expect(corrupt.message).toBe('Backup blob contains invalid or corrupt version.')
      const asKey = await failure(env.clients(staging).keys.restoreKeyBackup(blob))
      expect(asKey.code).toBe('Malformed backup blob')
    })

    it('refuses a backup of more versions than the limit', async () => {
      const vault = await env.vault({ name: 'many-versions' }, { maxBackupVersions: 2 })
      vault.seedSecret('many', 'v', { versions: 3 })
      const error = await failure(env.clients(vault).secrets.backupSecret('many'))
      expect(error.statusCode).toBe(400)
      expect(error.code).toBe('BadRequest')
    })
  })

  describe('throttling and faults', () => {
    it('answers 429 Throttled once the bucket is empty, Retry-After only when configured', async () => {
      const vault = await env.vault({ name: 'throttled' }, { throttle: { limit: 3, windowMs: 10_000 } })
      vault.seedSecret('t', 'v')
      const { secrets } = env.clients(vault)
      await secrets.getSecret('t')
      await secrets.getSecret('t')
      await secrets.getSecret('t')
      const error = await failure(secrets.getSecret('t'))
      expect(error.statusCode).toBe(429)
      expect(error.code).toBe('Throttled')
      expect(error.message).toBe(
        'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached'
      )
      const raw = await rawRequest(vault, env.caPem, 'GET', `/secrets/t${V}`, { token: env.token() })
      expect(raw.headers['retry-after']).toBeUndefined()
      vault.behaviour.throttle.retryAfterSeconds = 2
      expect(
        (await rawRequest(vault, env.caPem, 'GET', `/secrets/t${V}`, { token: env.token() })).headers[
          'retry-after'
        ]
      ).toBe('2')
      env.clock.advance(10_000)
      expect((await secrets.getSecret('t')).value).toBe('v')
    })

    it('injects 503, 500 and connection resets reproducibly from the seed', async () => {
      const vault = await env.vault({ name: 'faulty' })
      vault.seedSecret('f', 'v')
      const statuses = async (): Promise<number[]> => {
        const out: number[] = []
        for (let i = 0; i < 12; i++) {
          try {
            out.push(
              (await rawRequest(vault, env.caPem, 'GET', `/secrets/f${V}`, { token: env.token() })).status
            )
          } catch {
            out.push(0)
          }
        }
        return out
      }
      vault.behaviour.faults = { p503: 0.3, p500: 0.2, pReset: 0.2, seed: 42 }
      const first = await statuses()
      vault.behaviour.faults = { p503: 0.3, p500: 0.2, pReset: 0.2, seed: 7 }
      await statuses()
      vault.behaviour.faults = { p503: 0.3, p500: 0.2, pReset: 0.2, seed: 42 }
      expect(await statuses()).toEqual(first)
      expect(new Set(first)).toEqual(new Set([0, 200, 500, 503]))
      vault.behaviour.faults = { p503: 0, p500: 0, pReset: 0, seed: 42 }
      const client = new SecretClient(vault.localUrl, env.credential(), {
        disableChallengeResourceVerification: true,
        tlsOptions: { ca: env.caPem }
      })
      expect((await client.getSecret('f')).value).toBe('v')
    })
  })
})
