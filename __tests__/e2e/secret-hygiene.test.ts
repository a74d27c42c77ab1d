/**
 * Secret hygiene (issue 6): canaries are planted where a careless tool would echo them (distinctive
 * secret values, the GitHub client assertion, the Entra access token, a backup blob's base64), then
 * backup, restore and their failure paths run through the built action. No canary may appear in
 * stdout, stderr, the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ENV / GITHUB_STATE files, or any
 * error message; every assertion and access token must be masked with `::add-mask::` before any
 * other line could show it. The tokens are the ones the fake Entra really saw and issued
 * (`testbed.entra.issuedCredentials`).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

let testbed: Testbed
/** Distinctive secret values: a leak cannot be a coincidence. */
const VALUES = Array.from({ length: 4 }, (_, i) => `canary${i}-${randomBytes(12).toString('hex')}`)
const entry = process.env.KVB_ACTION_ENTRY

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [20, 40], purgeWindowMs: [20, 40] } })
  const prod = testbed.keyvault.vault('prod')
  VALUES.forEach((value, i) => prod.seedSecret(`canary-${i}`, value, { versions: 1 + (i % 3) }))
  prod.seedKey('canary-key', { kty: 'RSA' })
  prod.seedCertificate('canary-cert')
}, 60_000)
afterAll(() => testbed?.stop())

/** Runs the action and returns its result with the tokens Entra saw and issued during the run. */
async function run(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const before = testbed.entra.issuedCredentials.length
  const result = await runAction({ env: testbed.env, inputs, extraEnv, entry })
  const issued = testbed.entra.issuedCredentials.slice(before)
  return {
    result,
    assertions: issued.flatMap(c => (c.assertion ? [c.assertion] : [])),
    accessTokens: issued.flatMap(c => (c.accessToken ? [c.accessToken] : []))
  }
}

/** Every text the runner would show or keep: the streams and the command files, raw. */
function everything(result: RunResult): Record<string, string> {
  const root = dirname(result.runnerTemp)
  const file = (name: string) => readFileSync(join(root, name), 'utf8')
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    GITHUB_OUTPUT: file('output'),
    GITHUB_STEP_SUMMARY: file('summary.md'),
    GITHUB_ENV: file('env'),
    GITHUB_STATE: file('state')
  }
}

/** The canaries of a blob: its base64 and base64url, whole and a stretch from the middle. */
function blobCanaries(bytes: Buffer): string[] {
  const forms = [bytes.toString('base64'), bytes.toString('base64url')]
  return forms.flatMap(text => [
    text,
    text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 40)
  ])
}

/** Fails naming the place and the canary's start when any canary shows up outside `::add-mask::` lines. */
function expectNoCanary(result: RunResult, canaries: string[]): void {
  const leaks: string[] = []
  for (const [place, raw] of Object.entries(everything(result))) {
    const text = raw
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const canary of canaries) if (text.includes(canary)) leaks.push(`${place}: ${canary.slice(0, 12)}…`)
  }
  expect(leaks).toEqual([])
}

/** Every token is registered with `::add-mask::`, and that line comes before any other mention of it. */
function expectMasked(result: RunResult, tokens: string[]): void {
  expect(tokens.length).toBeGreaterThan(0)
  const lines = result.stdout.split('\n')
  for (const token of tokens) {
    const mask = lines.indexOf(`::add-mask::${token}`)
    expect(mask).toBeGreaterThanOrEqual(0)
    const firstMention = lines.findIndex(line => line.includes(token))
    expect(firstMention).toBe(mask)
  }
}

describe('a backup that succeeds', () => {
  let backup: Awaited<ReturnType<typeof run>>
  let blobs: string[]

  beforeAll(async () => {
    backup = await run({ vault: 'prod' })
    const folder = backup.result.outputs['backup-path']
    blobs = ['secrets', 'keys', 'certificates'].flatMap(type =>
      readdirSync(join(folder, type)).flatMap(file => blobCanaries(readFileSync(join(folder, type, file))))
    )
  }, 60_000)

  it('succeeds', () => {
    expect(backup.result.exitCode).toBe(0)
    expect(backup.result.outputs['backed-up']).toBe('6')
  })

  it('masks the assertion and the access token before anything else prints them', () => {
    expectMasked(backup.result, [...backup.assertions, ...backup.accessTokens])
  })

  it('shows no secret value, token or blob anywhere', () => {
    expectNoCanary(backup.result, [...VALUES, ...backup.assertions, ...backup.accessTokens, ...blobs])
  })

  it('shows none with step debug on either', async () => {
    const debug = await run(
      { vault: 'prod', upload: 'false' },
      { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' }
    )
    expect(debug.result.exitCode).toBe(0)
    expectMasked(debug.result, [...debug.assertions, ...debug.accessTokens])
    expectNoCanary(debug.result, [...VALUES, ...debug.assertions, ...debug.accessTokens, ...blobs])
  }, 60_000)

  it('shows none with the Azure SDK log at verbose (AZURE_LOG_LEVEL), a setting users turn on to debug', async () => {
    const verbose = await run({ vault: 'prod', upload: 'false' }, { AZURE_LOG_LEVEL: 'verbose' })
    expect(verbose.result.exitCode).toBe(0)
    // The runner masks what was registered before it is printed: each token's mask comes first in the log.
    const log = verbose.result.log
    for (const token of verbose.accessTokens) {
      expect(log.indexOf(`::add-mask::${token}`)).toBe(log.indexOf(token) - '::add-mask::'.length)
    }
    expectNoCanary(verbose.result, [...VALUES, ...verbose.assertions, ...verbose.accessTokens, ...blobs])
  }, 60_000)

  it('restores the artifact without showing a value, token or blob', async () => {
    const restore = await run({
      operation: 'restore',
      vault: 'staging',
      'artifact-name': 'keyvault-backup-prod'
    })
    expect(restore.result.exitCode).toBe(0)
    expect(restore.result.outputs.restored).toBe('6')
    expectMasked(restore.result, [...restore.assertions, ...restore.accessTokens])
    expectNoCanary(restore.result, [...VALUES, ...restore.assertions, ...restore.accessTokens, ...blobs])
  }, 60_000)

  it('refuses a tampered folder without echoing the blob', async () => {
    const folder = (await run({ vault: 'prod', upload: 'false', types: 'secrets' })).result.outputs[
      'backup-path'
    ]
    const file = join(folder, 'secrets', 'canary-1.blob')
    const bytes = readFileSync(file)
    bytes[Math.floor(bytes.length / 2)] ^= 0x01
    writeFileSync(file, bytes)
    const restore = await run({ operation: 'restore', vault: 'staging', path: folder })
    expect(restore.result.exitCode).not.toBe(0)
    expect(restore.result.stdout).toContain('canary-1.blob')
    expectNoCanary(restore.result, [
      ...VALUES,
      ...restore.assertions,
      ...restore.accessTokens,
      ...blobs,
      ...blobCanaries(bytes)
    ])
  }, 60_000)
})

describe('failure paths', () => {
  it('a 403 (no backup permission) shows no value and no token', async () => {
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    const app = testbed.layout.apps[0]
    const vault = await testbed.keyvault.addVault({
      ...prod,
      name: 'no-backup',
      roleAssignments: [
        { principalId: app.objectId, dataActions: ['Microsoft.KeyVault/vaults/secrets/readMetadata/action'] }
      ]
    })
    VALUES.forEach((value, i) => vault.seedSecret(`canary-${i}`, value))
    const denied = await run({ vault: 'no-backup', types: 'secrets', upload: 'false' })
    expect(denied.result.exitCode).not.toBe(0)
    expect(denied.result.stdout).toContain('Microsoft.KeyVault/vaults/secrets/backup/action')
    expectMasked(denied.result, denied.accessTokens)
    expectNoCanary(denied.result, [...VALUES, ...denied.assertions, ...denied.accessTokens])
  }, 60_000)

  it('an AADSTS70021 subject mismatch shows the subject but not the assertion', async () => {
    const subject = testbed.github.subject
    testbed.github.subject = 'repo:someone/else:ref:refs/heads/main'
    try {
      const refused = await run({ vault: 'prod', upload: 'false' })
      expect(refused.result.exitCode).not.toBe(0)
      expect(refused.result.stdout).toContain('AADSTS70021')
      expect(refused.result.stdout).toContain('repo:someone/else:ref:refs/heads/main')
      expect(refused.accessTokens).toEqual([])
      expectMasked(refused.result, refused.assertions)
      expectNoCanary(refused.result, [...VALUES, ...refused.assertions])
    } finally {
      testbed.github.subject = subject
    }
  }, 60_000)

  it('a throttled run with 503s and resets shows no value and no token', async () => {
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    const vault = await testbed.keyvault.addVault(
      { ...prod, name: 'throttled' },
      {
        throttle: { limit: 30, windowMs: 1000, retryAfterSeconds: 1 },
        faults: { p503: 0.1, p500: 0, pReset: 0.03, seed: 3 }
      }
    )
    VALUES.forEach((value, i) => vault.seedSecret(`canary-${i}`, value, { versions: 2 }))
    for (let i = 0; i < 30; i++) vault.seedSecret(`filler-${i}`, VALUES[i % VALUES.length])
    testbed.keyvault.clearLog()
    const throttled = await run({ vault: 'throttled', upload: 'false' })
    expect(throttled.result.exitCode).toBe(0)
    expect(testbed.keyvault.requestLog.some(e => e.status === 429)).toBe(true)
    expectMasked(throttled.result, [...throttled.assertions, ...throttled.accessTokens])
    expectNoCanary(throttled.result, [...VALUES, ...throttled.assertions, ...throttled.accessTokens])
  }, 60_000)
})
