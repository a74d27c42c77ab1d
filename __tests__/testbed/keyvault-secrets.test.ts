import type { RestError } from '@azure/core-rest-pipeline'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'
import { startTestEnv, type TestEnv } from '../../testbed/keyvault/test-support.js'

const POLL = { intervalInMs: 50 }

async function failure(promise: Promise<unknown>): Promise<RestError & { code: string; statusCode: number }> {
  try {
    await promise
  } catch (error) {
    return error as RestError & { code: string; statusCode: number }
  }
  throw new Error('expected a failure')
}

describe('Key Vault emulator: secrets through SecretClient', () => {
  let env: TestEnv
  let vault: EmulatedVault

  beforeAll(async () => {
    env = await startTestEnv()
    vault = await env.vault({ name: 'secrets-vault' })
  })
  afterAll(() => env.stop())

  it('sets, gets (latest and by version), updates and lists versions', async () => {
    const { secrets } = env.clients(vault)
    const v1 = await secrets.setSecret('db-password', 'one', {
      tags: { app: 'billing' },
      contentType: 'text/plain'
    })
    const v2 = await secrets.setSecret('db-password', 'two')
    expect(v1.properties.version).toMatch(/^[0-9a-f]{32}$/)
    expect(v1.properties.id).toBe(`${vault.localUrl}/secrets/db-password/${v1.properties.version}`)
    expect((await secrets.getSecret('db-password')).value).toBe('two')
    expect((await secrets.getSecret('db-password', { version: v1.properties.version })).value).toBe('one')
    expect(v1.properties.createdOn?.getTime() ?? 0).toBeGreaterThan(0)
    expect(v1.properties.recoveryLevel).toBe('Recoverable+Purgeable')
    expect(v1.properties.recoverableDays).toBe(90)
    await secrets.updateSecretProperties('db-password', v2.properties.version!, {
      tags: { rotated: 'yes' },
      enabled: false
    })
    const versions = []
    for await (const p of secrets.listPropertiesOfSecretVersions('db-password')) versions.push(p)
    expect(versions.map(v => v.version).sort()).toEqual([v1.properties.version, v2.properties.version].sort())
    expect(versions.find(v => v.version === v2.properties.version)?.tags).toEqual({ rotated: 'yes' })
    const disabled = await failure(secrets.getSecret('db-password'))
    expect(disabled.statusCode).toBe(403)
  })

  it('answers 404 SecretNotFound with the service wording', async () => {
    const { secrets } = env.clients(vault)
    const error = await failure(secrets.getSecret('nope'))
    expect(error.statusCode).toBe(404)
    expect(error.code).toBe('SecretNotFound')
    expect(error.message).toContain('A secret with (name/id) nope was not found in this key vault.')
  })

  it('pages listings with maxPageSize and absolute nextLinks; list items carry no value', async () => {
    for (let i = 0; i < 7; i++) vault.seedSecret(`paged-${i}`, `v${i}`, { tags: { i: String(i) } })
    const { secrets } = env.clients(vault)
    const pages: number[] = []
    const names: string[] = []
    for await (const page of secrets.listPropertiesOfSecrets().byPage({ maxPageSize: 3 })) {
      pages.push(page.length)
      for (const p of page) {
        names.push(p.name)
        expect((p as unknown as { value?: string }).value).toBeUndefined()
      }
    }
    expect(names.filter(n => n.startsWith('paged-'))).toHaveLength(7)
    expect(Math.max(...pages)).toBeLessThanOrEqual(3)
    const log = env.emulator.requestLog.filter(e => e.operation === 'ListSecrets' && e.status === 200)
    expect(log.length).toBe(pages.length)
  })

  it('deletes asynchronously, lists and gets the deleted secret, recovers and purges', async () => {
    const { secrets } = env.clients(vault)
    await secrets.setSecret('to-delete', 'x', { tags: { keep: 'me' } })
    const poller = await secrets.beginDeleteSecret('to-delete', POLL)
    const first = poller.getResult()
    expect(first?.properties.recoveryId).toBe(`${vault.localUrl}/deletedsecrets/to-delete`)
    // Right after DELETE the deleted view is not ready, and the name is taken.
    const early = await failure(secrets.getDeletedSecret('to-delete'))
    expect(early.statusCode).toBe(404)
    expect(early.message).toBe('Deleted Secret not found: to-delete')
    const busy = await failure(secrets.setSecret('to-delete', 'y'))
    expect(busy.statusCode).toBe(409)
    expect(busy.message).toContain('is currently being deleted')
    const deleted = await poller.pollUntilDone()
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date)
    // The poller's last answer is GET /deletedsecrets/{name}: a DeletedSecretBundle carries the value.
    expect(first?.value).toBeUndefined()
    expect(deleted.value).toBe('x')
    expect(deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()).toBe(
      90 * 86400_000
    )
    const soft = await failure(secrets.setSecret('to-delete', 'y'))
    expect(soft.statusCode).toBe(409)
    expect(soft.message).toBe(
      'Secret to-delete is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.'
    )
    const listed = []
    for await (const d of secrets.listDeletedSecrets()) listed.push(d.name)
    expect(listed).toContain('to-delete')
    const recovered = await (await secrets.beginRecoverDeletedSecret('to-delete', POLL)).pollUntilDone()
    expect(recovered.tags).toEqual({ keep: 'me' })
    expect((await secrets.getSecret('to-delete')).value).toBe('x')
    await (await secrets.beginDeleteSecret('to-delete', POLL)).pollUntilDone()
    await secrets.purgeDeletedSecret('to-delete')
    expect((await failure(secrets.getDeletedSecret('to-delete'))).statusCode).toBe(404)
  })

  it('backs up all versions and restores them with ids and tags after delete and purge', async () => {
    vault.seedSecret('round-trip', 'final', { versions: 3, tags: { team: 'a' }, contentType: 'text/plain' })
    const { secrets } = env.clients(vault)
    const before = vault.state().secrets.active.find(s => s.name === 'round-trip')!
    const blob = await secrets.backupSecret('round-trip')
    const bytes = Buffer.from(blob!)
    expect(bytes.subarray(1, 1 + bytes[0]).toString('ascii')).toBe(
      'AzureKeyVaultSecretBackupV1.microsoft.com'
    )
    const conflict = await failure(secrets.restoreSecretBackup(blob!))
    expect(conflict.statusCode).toBe(409)
    expect(conflict.code).toBe('Conflict')
    expect(conflict.message).toContain("There was a conflict restoring the secret '")
    await (await secrets.beginDeleteSecret('round-trip', POLL)).pollUntilDone()
    await secrets.purgeDeletedSecret('round-trip')
    // Purge is asynchronous: both views say 404, yet the name is still taken for a while.
    expect((await failure(secrets.getSecret('round-trip'))).statusCode).toBe(404)
    expect((await failure(secrets.getDeletedSecret('round-trip'))).statusCode).toBe(404)
    expect((await failure(secrets.restoreSecretBackup(blob!))).statusCode).toBe(409)
    env.clock.advance(1000)
    const restored = await secrets.restoreSecretBackup(blob!)
    expect(restored.name).toBe('round-trip')
    expect((restored as unknown as { value?: string }).value).toBeUndefined()
    const after = vault.state().secrets.active.find(s => s.name === 'round-trip')!
    expect(after.versions).toEqual(before.versions)
    expect(after.tags).toEqual({ team: 'a' })
    const latest = await secrets.getSecret('round-trip')
    expect(latest.value).toBe('final')
    expect(latest.properties.contentType).toBe('text/plain')
  })
})
