/**
 * A backup chain that does not lie, end to end through the built action: a nightly whose sign-in
 * fails uploads nothing; an incomplete backup says so and is refused for restore unless
 * `allow-partial`; `run-id: latest` takes the newest complete backup of this repository's own runs
 * on the default branch, passing over (and naming) forks, other branches and incomplete backups;
 * `manifest-sha256` pins the backup a restore takes.
 */
import { SecretClient } from '@azure/keyvault-secrets'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

let testbed: Testbed
const NIGHTLY = 'kv-nightly'
let goodNightly: RunResult

/** The runner environment of a run, signing in with the main run's OIDC endpoint (a fork's run has none). */
function envOf(runId: string, options?: Parameters<Testbed['github']['runEnv']>[1]): Record<string, string> {
  const main = testbed.github.runEnv()
  return {
    ...testbed.env,
    ...testbed.github.runEnv(runId, options),
    ACTIONS_ID_TOKEN_REQUEST_URL: main.ACTIONS_ID_TOKEN_REQUEST_URL,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: main.ACTIONS_ID_TOKEN_REQUEST_TOKEN
  }
}

async function addVault(name: string) {
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  return testbed.keyvault.addVault({ ...prod, name })
}

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

/** Writes to a vault seen in the request log since `from` (anything but reads). */
const writesTo = (vault: string, from: number) =>
  testbed.keyvault.requestLog.slice(from).filter(e => e.vault === vault && e.method !== 'GET')

const errorLines = (result: RunResult) => result.stdout.split('\n').filter(l => l.startsWith('::error::'))

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [20, 40], purgeWindowMs: [20, 40] } })
  testbed.keyvault.vault('prod').seedSecret('db-password', 'trust-canary', { versions: 2 })
  const decoy = await addVault('decoy')
  decoy.seedSecret('poison', 'an old value brought back')

  goodNightly = await runAction({ env: envOf('4001'), inputs: { vault: 'prod', 'artifact-name': NIGHTLY } })
  expect(goodNightly.exitCode).toBe(0)
  expect(goodNightly.outputs.complete).toBe('true')
  testbed.keyvault.vault('prod').seedSecret('added-after-nightly', 'x')
}, 120_000)
afterAll(() => testbed?.stop())

describe('a nightly whose sign-in fails', () => {
  let failed: RunResult
  beforeAll(async () => {
    const subject = testbed.github.subject
    testbed.github.subject = 'repo:octo-org/octo-repo:ref:refs/heads/not-trusted'
    try {
      failed = await runAction({ env: envOf('4002'), inputs: { vault: 'prod', 'artifact-name': NIGHTLY } })
    } finally {
      testbed.github.subject = subject
    }
  }, 60_000)

  it('fails with one error and uploads nothing', () => {
    expect(failed.exitCode).toBe(1)
    expect(errorLines(failed)).toHaveLength(1)
    expect(errorLines(failed)[0]).toMatch(/AADSTS70021/)
    expect(testbed.github.artifacts().filter(a => a.runId === '4002')).toEqual([])
  })

  it('still writes its outputs and a summary that says what failed', () => {
    expect(failed.outputs).toMatchObject({ 'backed-up': '0', failed: '0', 'artifact-id': '', complete: '' })
    expect(failed.summary).toMatch(/\*\*Failed:\*\* Sign-in failed/)
  })
})

describe("run-id: latest trusts only this repository's own complete backups", () => {
  let restore: RunResult
  beforeAll(async () => {
    // After the good nightly: a pull request from a fork, and a run on another branch, both upload
    // an artifact of the same name (here a backup of another vault, standing for any old blobs).
    const fork = await runAction({
      env: envOf('4003', { headRepository: 'evil-org/octo-repo' }),
      inputs: { vault: 'decoy', 'artifact-name': NIGHTLY }
    })
    expect(fork.exitCode).toBe(0)
    const branch = await runAction({
      env: envOf('4004', { headBranch: 'feature' }),
      inputs: { vault: 'decoy', 'artifact-name': NIGHTLY }
    })
    expect(branch.exitCode).toBe(0)
    await addVault('rollback')
    restore = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: 'rollback',
        'artifact-name': NIGHTLY,
        'run-id': 'latest',
        'manifest-sha256': goodNightly.outputs['manifest-sha256']
      }
    })
  }, 120_000)

  it('restores the good nightly', async () => {
    expect(restore.exitCode).toBe(0)
    expect(await secretNames('rollback')).toEqual(['db-password'])
    expect(restore.summary).toMatch(/run 4001/)
  })

  it('names what it passed over and why', () => {
    expect(restore.log).toMatch(
      /Passed over artifact \d+ of run 4004: uploaded by a run on branch 'feature', not 'main'/
    )
    expect(restore.log).toMatch(
      /Passed over artifact \d+ of run 4003: uploaded by a run from another repository \(a fork/
    )
    expect(restore.summary).toMatch(/Newer artifacts passed over/)
  })

  it("takes another branch's runs only when run-branch names it", async () => {
    await addVault('from-feature')
    const result = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: 'from-feature',
        'artifact-name': NIGHTLY,
        'run-id': 'latest',
        'run-branch': 'feature'
      }
    })
    expect(result.exitCode).toBe(0)
    expect(result.summary).toMatch(/run 4004/)
    expect(await secretNames('from-feature')).toEqual(['poison'])
  }, 60_000)

  it('refuses a backup whose manifest is not the one named by manifest-sha256, before any write', async () => {
    await addVault('pinned')
    const from = testbed.keyvault.requestLog.length
    const result = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: 'pinned',
        'artifact-name': NIGHTLY,
        'run-id': '4004',
        'manifest-sha256': goodNightly.outputs['manifest-sha256']
      }
    })
    expect(result.exitCode).toBe(1)
    expect(errorLines(result)).toHaveLength(1)
    expect(errorLines(result)[0]).toMatch(/'manifest-sha256' expects .*nothing was restored/)
    expect(writesTo('pinned', from)).toEqual([])
  }, 60_000)
})

describe('an incomplete backup (one item over 500 versions)', () => {
  let partial: RunResult
  beforeAll(async () => {
    const crowded = await addVault('crowded')
    crowded.seedSecret('ok-one', 'a')
    crowded.seedSecret('ok-two', 'b')
    const complete = await runAction({
      env: envOf('5000'),
      inputs: { vault: 'crowded', 'artifact-name': 'kv-crowded' }
    })
    expect(complete.exitCode).toBe(0)
    crowded.seedSecret('huge', 'c', { versions: 501 })
    partial = await runAction({
      env: envOf('5001'),
      inputs: { vault: 'crowded', 'artifact-name': 'kv-crowded' }
    })
  }, 120_000)

  it('fails the step, is uploaded marked incomplete, and says so at the top of its summary', () => {
    expect(partial.exitCode).toBe(1)
    expect(partial.outputs).toMatchObject({ complete: 'false', 'backed-up': '2', failed: '1' })
    expect(partial.outputs['artifact-id']).toMatch(/^\d+$/)
    const lines = partial.summary.split('\n')
    expect(lines.findIndex(l => l.startsWith('> **Incomplete backup:**'))).toBeLessThan(
      lines.findIndex(l => l.startsWith('| Type |'))
    )
  })

  it('is refused for restore before any write, naming what is missing', async () => {
    await addVault('partial-refused')
    const from = testbed.keyvault.requestLog.length
    const result = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: 'partial-refused',
        'artifact-name': 'kv-crowded',
        'run-id': '5001'
      }
    })
    expect(result.exitCode).toBe(1)
    expect(errorLines(result)).toHaveLength(1)
    expect(errorLines(result)[0]).toMatch(
      /incomplete, so nothing was restored.*secret 'huge'.*allow-partial: true/
    )
    expect(writesTo('partial-refused', from)).toEqual([])
  }, 60_000)

  it('is restored with allow-partial, the summary naming what was not restored', async () => {
    await addVault('partial-allowed')
    const result = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: 'partial-allowed',
        'artifact-name': 'kv-crowded',
        'run-id': '5001',
        'allow-partial': 'true'
      }
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ restored: '2', failed: '0' })
    expect(result.summary).toMatch(/Partial backup restored.*secret 'huge'/)
    expect(await secretNames('partial-allowed')).toEqual(['ok-one', 'ok-two'])
  }, 60_000)

  it('is passed over by latest, which takes the older complete backup', async () => {
    await addVault('crowded-latest')
    const result = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: 'crowded-latest',
        'artifact-name': 'kv-crowded',
        'run-id': 'latest'
      }
    })
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(
      /Passed over artifact \d+ of run 5001: incomplete backup \(1 missing: secret 'huge'/
    )
    expect(result.summary).toMatch(/run 5000/)
  }, 60_000)
})

test('a restore that would restore nothing says so as a warning', async () => {
  const result = await runAction({
    env: testbed.env,
    inputs: {
      operation: 'restore',
      vault: 'staging',
      'artifact-name': NIGHTLY,
      'run-id': '4001',
      include: 'no-such-*'
    }
  })
  expect(result.exitCode).toBe(0)
  expect(result.stdout).toMatch(
    /::warning::This restore restores nothing: the backup holds 1 items and the filters select none/
  )
}, 60_000)
