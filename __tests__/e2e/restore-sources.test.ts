/**
 * Restore sources and boundaries end to end: an artifact of another run (`run-id` + `github-token`),
 * the newest artifact of a name (`latest`), a dry run that writes nothing, and a target in another
 * security world refused with the rule explained.
 */
import { SecretClient } from '@azure/keyvault-secrets'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative } from 'node:path'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

let testbed: Testbed
/** The folder the first nightly wrote before uploading it (the runner's temp folder of that run). */
let nightlyFolder: string

beforeAll(async () => {
  testbed = await startTestbed()
  const prod = testbed.keyvault.vault('prod')
  prod.seedSecret('db-password', 'sources-canary', { versions: 2 })
  prod.seedKey('signing-key', { kty: 'RSA' })
  prod.seedCertificate('www-tls')
  // Two nightly runs: 2002 and then 2003, which also holds 'added-later'.
  const nightly = { vault: 'prod', 'artifact-name': 'nightly-prod' }
  const first = await runAction({
    env: { ...testbed.env, ...testbed.github.runEnv('2002') },
    inputs: nightly
  })
  expect(first.exitCode).toBe(0)
  nightlyFolder = first.outputs['backup-path']
  prod.seedSecret('added-later', 'later-canary')
  const second = await runAction({
    env: { ...testbed.env, ...testbed.github.runEnv('2003') },
    inputs: nightly
  })
  expect(second.exitCode).toBe(0)
})
afterAll(() => testbed.stop())

async function secretNames(vault: string): Promise<string[]> {
  const sdk = new SecretClient(
    testbed.keyvault.vault(vault).localUrl,
    testbed.credential(),
    testbed.sdkOptions()
  )
  const names: string[] = []
  for await (const p of sdk.listPropertiesOfSecrets()) if (!p.managed) names.push(p.name)
  return names.sort()
}

async function addTarget(name: string) {
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  return testbed.keyvault.addVault({ ...prod, name })
}

test('restores from another run with run-id and github-token', async () => {
  await addTarget('from-run')
  const result = await runAction({
    env: testbed.env,
    inputs: {
      operation: 'restore',
      vault: 'from-run',
      'artifact-name': 'nightly-prod',
      'run-id': '2002',
      'github-token': testbed.env.GITHUB_TOKEN
    }
  })
  expect(result.exitCode).toBe(0)
  expect(result.outputs).toMatchObject({ restored: '3', failed: '0' })
  expect(result.summary).toMatch(/run 2002/)
  expect(await secretNames('from-run')).toEqual(['db-password'])
})

test("restores the newest artifact of the name with run-id 'latest'", async () => {
  await addTarget('from-latest')
  const result = await runAction({
    env: testbed.env,
    inputs: {
      operation: 'restore',
      vault: 'from-latest',
      'artifact-name': 'nightly-prod',
      'run-id': 'latest',
      'github-token': testbed.env.GITHUB_TOKEN
    }
  })
  expect(result.exitCode).toBe(0)
  expect(result.outputs).toMatchObject({ restored: '4', failed: '0' })
  expect(result.summary).toMatch(/run 2003/)
  expect(await secretNames('from-latest')).toEqual(['added-later', 'db-password'])
})

test('a dry run prints the plan, writes the plan file and nothing else', async () => {
  await addTarget('dry-target')
  testbed.keyvault.clearLog()
  const result = await runAction({
    env: { ...testbed.env, ...testbed.github.runEnv('2003') },
    inputs: { operation: 'restore', vault: 'dry-target', 'artifact-name': 'nightly-prod', 'dry-run': 'true' }
  })
  expect(result.exitCode).toBe(0)
  expect(result.log).toMatch(/secret 'db-password': absent -> restore/)
  expect(result.summary).toMatch(/dry run: plan only/)
  const plan = JSON.parse(readFileSync(result.outputs['plan-path'], 'utf8'))
  expect(plan.items).toHaveLength(4)
  expect(plan.items.every((i: { outcome: string }) => i.outcome === 'planned')).toBe(true)
  expect(testbed.keyvault.requestLog.filter(e => e.method !== 'GET')).toEqual([])
  expect(await secretNames('dry-target')).toEqual([])
})

test('another geography is refused before any write, naming both vaults and pointing to copy', async () => {
  testbed.keyvault.clearLog()
  const result = await runAction({
    env: testbed.env,
    inputs: {
      operation: 'restore',
      vault: 'elsewhere',
      'artifact-name': 'nightly-prod',
      'run-id': '2002',
      'github-token': testbed.env.GITHUB_TOKEN
    }
  })
  expect(result.exitCode).toBe(1)
  // The identity may read both vaults' resources (Reader on the subscription): the check is Resource Manager's.
  const errors = result.log.split('\n').filter(l => l.startsWith('::error'))
  expect(errors).toEqual([
    expect.stringMatching(
      /The target vault 'elsewhere' is in geography United States \(eastus\), the backup's vault 'prod' in Europe \(westeurope\).*same Azure subscription and the same geography.*'operation: copy'/
    )
  ])
  expect(result.outputs).toMatchObject({ restored: '0' })
  expect(testbed.keyvault.requestLog.filter(e => e.vault === 'elsewhere' && e.method !== 'GET')).toEqual([])
  expect(await secretNames('elsewhere')).toEqual([])
})

test('contradictory inputs fail before any request', async () => {
  testbed.keyvault.clearLog()
  const both = await runAction({
    env: testbed.env,
    inputs: { operation: 'restore', vault: 'staging', path: '/tmp', 'run-id': '2002' }
  })
  expect(both.exitCode).toBe(1)
  expect(both.log).toMatch(/Inputs 'path' and 'run-id' cannot be used together/)
  const none = await runAction({ env: testbed.env, inputs: { operation: 'restore', vault: 'staging' } })
  expect(none.exitCode).toBe(1)
  expect(none.log).toMatch(/operation 'restore' needs a source/)
  const policy = await runAction({
    env: testbed.env,
    inputs: { operation: 'restore', vault: 'staging', path: '/tmp', 'if-deleted': 'nuke' }
  })
  expect(policy.log).toMatch(
    /Invalid value for 'if-deleted': "nuke". Valid options are: fail, skip, recover, purge/
  )
  expect(testbed.keyvault.requestLog).toEqual([])
})

/**
 * Restore downloads and unpacks blobs into the runner's temp folder; the lifecycle removes those
 * copies when the run ends, whether it restored or failed. Only the plan file stays.
 */
describe("temporary copies of the blobs and the github-token's mask", () => {
  /** Paths under `runnerTemp` that are, or hold, a copy of the blobs. */
  const blobCopies = (runnerTemp: string): string[] =>
    readdirSync(runnerTemp, { recursive: true, withFileTypes: true })
      .map(e => relative(runnerTemp, join(e.parentPath, e.name)))
      .filter(
        path =>
          /(^|\/)keyvault-restore-(download|unpacked)-/.test(path) ||
          path.endsWith('.blob') ||
          basename(path) === 'blobs.tar'
      )

  let fromRun: RunResult
  const token = () => testbed.env.GITHUB_TOKEN

  beforeAll(async () => {
    await addTarget('clean-after-run')
    fromRun = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: 'clean-after-run',
        'artifact-name': 'nightly-prod',
        'run-id': '2002',
        'github-token': token()
      }
    })
    expect(fromRun.exitCode).toBe(0)
    expect(fromRun.outputs).toMatchObject({ restored: '3', failed: '0' })
  })

  test('a restore from an artifact leaves no downloaded or unpacked blob behind, only the plan file', () => {
    expect(blobCopies(fromRun.runnerTemp)).toEqual([])
    expect(readdirSync(join(fromRun.runnerTemp, 'keyvault-restore'))).toEqual(['plan-clean-after-run.json'])
    expect(fromRun.outputs['plan-path']).toBe(
      join(fromRun.runnerTemp, 'keyvault-restore', 'plan-clean-after-run.json')
    )
  })

  test('a restore that fails verification leaves no unpacked blob behind either', async () => {
    // The nightly in the artifact's layout (manifest.json and blobs.tar), one blob bit flipped.
    const parent = mkdtempSync(join(tmpdir(), 'kvb-tampered-'))
    try {
      const folder = join(parent, 'backup')
      cpSync(nightlyFolder, folder, { recursive: true })
      const blob = join(folder, 'secrets', 'db-password.blob')
      const bytes = readFileSync(blob)
      bytes[100] ^= 0x20
      writeFileSync(blob, bytes)
      execFileSync('tar', ['--format=posix', '-cf', 'blobs.tar', 'secrets', 'keys', 'certificates'], {
        cwd: folder
      })
      for (const type of ['secrets', 'keys', 'certificates']) rmSync(join(folder, type), { recursive: true })
      await addTarget('clean-after-failure')
      const result = await runAction({
        env: testbed.env,
        inputs: { operation: 'restore', vault: 'clean-after-failure', path: folder }
      })
      expect(result.exitCode).toBe(1)
      expect(result.log).toMatch(/failed verification/)
      expect(result.log).toMatch(/secrets\/db-password\.blob.*SHA-256/)
      expect(blobCopies(result.runnerTemp)).toEqual([])
    } finally {
      rmSync(parent, { recursive: true, force: true })
    }
  })

  test('github-token is masked before any line mentions it', () => {
    const lines = fromRun.stdout.split('\n')
    const first = lines.findIndex(line => line.includes(token()))
    expect(token().length).toBeGreaterThan(8)
    expect(first).toBeGreaterThanOrEqual(0)
    expect(lines[first]).toBe(`::add-mask::${token()}`)
    expect(fromRun.stderr).not.toContain(token())
  })
})
