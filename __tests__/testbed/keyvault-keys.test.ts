import { createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'
import { startTestEnv, type TestEnv } from '../../testbed/keyvault/test-support.js'

const POLL = { intervalInMs: 50 }

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

const b64url = (bytes?: Uint8Array) => Buffer.from(bytes ?? []).toString('base64url')

describe('Key Vault emulator: keys through KeyClient', () => {
  let env: TestEnv
  let vault: EmulatedVault

  beforeAll(async () => {
    env = await startTestEnv()
    vault = await env.vault({ name: 'keys-vault' })
  })
  afterAll(() => env.stop())

  it.each([
    ['RSA', { keySize: 2048 }, 256],
    ['RSA', { keySize: 3072 }, 384],
    ['EC', { curve: 'P-256' as const }, 32],
    ['EC', { curve: 'P-521' as const }, 66]
  ])('creates a %s key %j with real public material only', async (kty, opts, bytes) => {
    const { keys } = env.clients(vault)
    const name = `k-${kty}-${bytes}`.toLowerCase()
    const key = await keys.createKey(name, kty as 'RSA' | 'EC', opts)
    expect(key.id).toBe(`${vault.localUrl}/keys/${name}/${key.properties.version}`)
    expect(key.key?.kid).toBe(key.id)
    expect(key.key?.d).toBeUndefined()
    if (kty === 'RSA') {
      expect(key.key?.n).toHaveLength(bytes)
      const jwk: JsonWebKey = { kty: 'RSA', n: b64url(key.key?.n), e: b64url(key.key?.e) }
      expect(createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails?.modulusLength).toBe(bytes * 8)
    } else {
      expect(key.key?.x).toHaveLength(bytes)
      expect(key.key?.crv).toBe((opts as { curve: string }).curve)
    }
  })

  it('imports a JWK, lists keys and versions, updates tags', async () => {
    const { keys } = env.clients(vault)
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })
    const buf = (s?: string) => (s ? Buffer.from(s, 'base64url') : undefined)
    const imported = await keys.importKey('imported', {
      kty: 'EC',
      crv: 'P-384',
      x: buf(jwk.x),
      y: buf(jwk.y),
      d: buf(jwk.d)
    })
    expect(b64url(imported.key?.x)).toBe(jwk.x)
    await keys.createKey('imported', 'EC')
    const versions = []
    for await (const v of keys.listPropertiesOfKeyVersions('imported')) versions.push(v.version)
    expect(versions).toHaveLength(2)
    await keys.updateKeyProperties('imported', imported.properties.version!, { tags: { a: 'b' } })
    expect((await keys.getKey('imported', { version: imported.properties.version })).properties.tags).toEqual(
      { a: 'b' }
    )
    const names = []
    for await (const k of keys.listPropertiesOfKeys().byPage({ maxPageSize: 2 }))
      names.push(...k.map(p => p.name))
    expect(names).toContain('imported')
    expect(names).toEqual([...names].sort())
  })

  it('backs up all versions with private material and restores after delete and purge', async () => {
    vault.seedKey('rt-key', { versions: 3, tags: { team: 'crypto' }, kty: 'EC' })
    const { keys } = env.clients(vault)
    const before = vault.state().keys.active.find(k => k.name === 'rt-key')!
    const latestBefore = await keys.getKey('rt-key')
    const blob = await keys.backupKey('rt-key')
    const bytes = Buffer.from(blob!)
    expect(bytes.subarray(1, 1 + bytes[0]).toString('ascii')).toBe('AzureKeyVaultKeyBackupV1.microsoft.com')
    const deleted = await (await keys.beginDeleteKey('rt-key', POLL)).pollUntilDone()
    expect(deleted.properties.recoveryId).toBe(`${vault.localUrl}/deletedkeys/rt-key`)
    const soft = await failure(keys.restoreKeyBackup(blob!))
    expect(soft.statusCode).toBe(409)
    await keys.purgeDeletedKey('rt-key')
    env.clock.advance(1000)
    const restored = await keys.restoreKeyBackup(blob!)
    expect(restored.properties.version).toBe(latestBefore.properties.version)
    expect(b64url(restored.key?.x)).toBe(b64url(latestBefore.key?.x))
    expect(vault.state().keys.active.find(k => k.name === 'rt-key')).toEqual(before)
  })

  it('recovers a deleted key; a recovering key answers 404 then comes back', async () => {
    vault.seedKey('rec-key', { kty: 'EC' })
    const { keys } = env.clients(vault)
    await (await keys.beginDeleteKey('rec-key', POLL)).pollUntilDone()
    expect((await keys.getDeletedKey('rec-key')).name).toBe('rec-key')
    const recovered = await (await keys.beginRecoverDeletedKey('rec-key', POLL)).pollUntilDone()
    expect(recovered.name).toBe('rec-key')
    expect((await keys.getKey('rec-key')).name).toBe('rec-key')
  })
})
