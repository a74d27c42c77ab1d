/**
 * Kill and resume: a restore whose process is killed (SIGKILL, not mocked) midway is run again and
 * ends complete and consistent: every item holds exactly the backup's versions, and the items the
 * first run finished count as already restored, not as conflicts.
 */
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runAction } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import { seedRealisticVault } from '../../testbed/seed.js'

let testbed: Testbed

beforeAll(async () => {
  testbed = await startTestbed()
})
afterAll(() => testbed.stop())

type Item = { type: string; name: string; versionIds: string[] }

async function versionsOf(vault: string, item: Item): Promise<string[]> {
  const { localUrl } = testbed.keyvault.vault(vault)
  const [credential, options] = [testbed.credential(), testbed.sdkOptions()]
  const iterable: AsyncIterable<{ version?: string }> =
    item.type === 'secrets'
      ? new SecretClient(localUrl, credential, options).listPropertiesOfSecretVersions(item.name)
      : item.type === 'keys'
        ? new KeyClient(localUrl, credential, options).listPropertiesOfKeyVersions(item.name)
        : new CertificateClient(localUrl, credential, options).listPropertiesOfCertificateVersions(item.name)
  const ids: string[] = []
  for await (const p of iterable) ids.push(p.version!)
  return ids.sort()
}

test('a restore killed midway, run again, ends complete and consistent', async () => {
  seedRealisticVault(testbed.keyvault.vault('prod'), { secrets: 24, keys: 4, certificates: 3 })
  const backup = await runAction({ env: testbed.env, inputs: { vault: 'prod', upload: 'false' } })
  expect(backup.exitCode).toBe(0)
  const path = backup.outputs['backup-path']
  const items = (JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as { items: Item[] }).items

  // Slow the target down so the kill lands in the middle of the item loop.
  const staging = testbed.keyvault.vault('staging')
  staging.behaviour.latency = { fixedMs: 40, jitterMs: 20 }
  const inputs = { operation: 'restore', vault: 'staging', path, concurrency: '2' }
  let restoredBeforeKill = 0
  const first = await runAction({
    env: testbed.env,
    inputs,
    onSpawn: child =>
      child.stdout?.on('data', (chunk: Buffer) => {
        restoredBeforeKill += (chunk.toString().match(/': restored/g) ?? []).length
        if (restoredBeforeKill >= 6) child.kill('SIGKILL')
      })
  })
  expect(first.signal).toBe('SIGKILL')
  const partial = staging.state()
  const present =
    partial.secrets.active.length + partial.keys.active.length + partial.certificates.active.length
  expect(present).toBeGreaterThan(0)
  expect(present).toBeLessThan(items.length + 6) // + the managed key and secret of each certificate

  staging.behaviour.latency = { fixedMs: 0, jitterMs: 0 }
  const second = await runAction({ env: testbed.env, inputs })
  expect(second.exitCode).toBe(0)
  expect(second.outputs.failed).toBe('0')
  expect(Number(second.outputs.restored) + Number(second.outputs.skipped)).toBe(items.length)
  expect(Number(second.outputs.skipped)).toBeGreaterThanOrEqual(6)
  expect(second.summary).toMatch(/\| already-restored \| skipped: already restored/)
  for (const item of items) {
    expect({ item: item.name, ids: await versionsOf('staging', item) }).toEqual({
      item: item.name,
      ids: [...item.versionIds].sort()
    })
  }
})
