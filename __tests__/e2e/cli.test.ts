/**
 * The local CLI end to end, as a user runs it on a laptop (README, Local CLI): the built
 * `dist/cli/index.js`, signed in by DefaultAzureCredential from AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET, reaching the test bed only through HTTPS_PROXY, NO_PROXY and
 * NODE_EXTRA_CA_CERTS. No runner variables: no GITHUB_*, no RUNNER_TEMP, no OIDC.
 *
 * One test bed; the tests run in order (backup, dry run, plan, restore, copy's plan, copy) and share
 * the backup folder; the copy finds staging as the restore left it.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CLI_ENTRY = process.env.KVB_CLI_ENTRY ?? join(ROOT, 'dist', 'cli', 'index.js')
const CANARY = 'cli-canary-value'
const COPY_CANARIES = ['cli-copy-new-secret', 'cli-copy-new-current-value']
const WRITES = new Set(['PUT', 'POST', 'DELETE', 'PATCH'])

let testbed: Testbed
let scratch: string
let laptopEnv: Record<string, string>
let backupDir: string

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `keyvault-backup <args>` with the laptop's environment. */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { env: laptopEnv, cwd: scratch })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', fail)
    child.on('close', code => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })
}

beforeAll(async () => {
  testbed = await startTestbed()
  const prod = testbed.keyvault.vault('prod')
  prod.seedSecret('db-password', CANARY, { versions: 2 })
  prod.seedKey('signing-key', { kty: 'RSA' })
  prod.seedCertificate('www-tls')
  scratch = mkdtempSync(join(tmpdir(), 'kvb-cli-'))
  backupDir = join(scratch, 'backup')
  const app = testbed.layout.apps[0]
  laptopEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(scratch, 'home'),
    // The CLI's temporary files and plan file land here, where the tests can look.
    TMPDIR: mkdtempSync(join(scratch, 'tmp-')),
    AZURE_TENANT_ID: testbed.layout.tenantId,
    AZURE_CLIENT_ID: app.clientId,
    AZURE_CLIENT_SECRET: app.clientSecret ?? '',
    HTTPS_PROXY: testbed.env.HTTPS_PROXY,
    NO_PROXY: testbed.env.NO_PROXY,
    NODE_EXTRA_CA_CERTS: testbed.env.NODE_EXTRA_CA_CERTS
  }
})
afterAll(async () => {
  await testbed?.stop()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

/** The target's state through the SDKs: names per type, and the secret's version count. */
async function stagingState() {
  const url = testbed.keyvault.vault('staging').localUrl
  const secrets = new SecretClient(url, testbed.credential(), testbed.sdkOptions())
  const keys = new KeyClient(url, testbed.credential(), testbed.sdkOptions())
  const certificates = new CertificateClient(url, testbed.credential(), testbed.sdkOptions())
  const names: string[] = []
  for await (const p of secrets.listPropertiesOfSecrets()) if (!p.managed) names.push(`secrets/${p.name}`)
  for await (const p of keys.listPropertiesOfKeys()) if (!p.managed) names.push(`keys/${p.name}`)
  for await (const p of certificates.listPropertiesOfCertificates()) names.push(`certificates/${p.name}`)
  let versions = 0
  if (names.includes('secrets/db-password'))
    for await (const _ of secrets.listPropertiesOfSecretVersions('db-password')) versions++
  return { names: names.sort(), dbPasswordVersions: versions }
}

/** Whatever the CLI printed, checked for the secret values and the client secret. */
function expectNothingSecret(result: CliResult, values: string[] = []): void {
  for (const text of [result.stdout, result.stderr]) {
    for (const value of [CANARY, ...values]) expect(text).not.toContain(value)
    expect(text).not.toContain(laptopEnv.AZURE_CLIENT_SECRET)
  }
}

test('backup --vault prod --out DIR writes a folder that verifies, and says so', async () => {
  testbed.keyvault.clearLog()
  const result = await cli(['backup', '--vault', 'prod', '--out', backupDir])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expectNothingSecret(result)
  const manifestText = readFileSync(join(backupDir, 'manifest.json'), 'utf8')
  const manifest = JSON.parse(manifestText) as {
    complete: boolean
    source: { vaultUrl: string }
    items: Array<{
      type: string
      name: string
      file: string
      size: number
      sha256: string
      versionCount: number
    }>
  }
  expect(manifest.source.vaultUrl).toBe('https://prod.vault.azure.net')
  expect(manifest.complete).toBe(true)
  expect(manifest.items.map(i => `${i.type}/${i.name}:${i.versionCount}`).sort()).toEqual([
    'certificates/www-tls:1',
    'keys/signing-key:1',
    'secrets/db-password:2'
  ])
  for (const item of manifest.items) {
    const blob = readFileSync(join(backupDir, item.file))
    expect({ file: item.file, size: blob.length, sha256: sha256(blob) }).toEqual({
      file: item.file,
      size: item.size,
      sha256: item.sha256
    })
  }
  expect(readdirSync(backupDir).sort()).toEqual(['certificates', 'keys', 'manifest.json', 'secrets'])
  const lines = result.stdout.trim().split('\n')
  expect(lines).toContain('backed up 3, skipped 2, failed 0')
  expect(lines).toContain(`Folder: ${backupDir}`)
  expect(lines).toContain(`Manifest SHA-256: ${sha256(manifestText)}`)
  // Signed in as the app through the proxy: the vault saw its backup calls.
  const backups = testbed.keyvault.requestLog.filter(e => e.vault === 'prod' && e.path.endsWith('/backup'))
  expect(backups.map(e => e.status)).toEqual([200, 200, 200])
})

test('backup --dry-run lists what it would back up and calls no backup', async () => {
  testbed.keyvault.clearLog()
  const result = await cli(['backup', '--vault', 'prod', '--dry-run'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.stdout).toMatch(/Would back up secret 'db-password' \(2 versions\)/)
  expect(result.stdout.trim().split('\n')).toContain('would back up 3, skipped 2, failed 0')
  expect(result.stdout).not.toMatch(/^Folder:/m)
  const prodLog = testbed.keyvault.requestLog.filter(e => e.vault === 'prod')
  expect(prodLog.length).toBeGreaterThan(0)
  expect(prodLog.filter(e => e.method !== 'GET')).toEqual([])
})

test('restore --plan prints and writes the plan, and writes nothing to the vault', async () => {
  testbed.keyvault.clearLog()
  const result = await cli(['restore', '--vault', 'staging', '--from', backupDir, '--plan'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.stdout).toMatch(/secret 'db-password': absent -> restore/)
  const planPath = join(laptopEnv.TMPDIR, 'keyvault-restore', 'plan-staging.json')
  expect(result.stdout.trim().split('\n')).toContain(`plan only: 3 items planned (plan file: ${planPath})`)
  const plan = JSON.parse(readFileSync(planPath, 'utf8')) as { items: Array<{ outcome: string }> }
  expect(plan.items.map(i => i.outcome)).toEqual(['planned', 'planned', 'planned'])
  const stagingLog = testbed.keyvault.requestLog.filter(e => e.vault === 'staging')
  expect(stagingLog.length).toBeGreaterThan(0)
  expect(stagingLog.filter(e => WRITES.has(e.method))).toEqual([])
  expect(await stagingState()).toEqual({ names: [], dbPasswordVersions: 0 })
})

test('restore --from DIR brings every item into staging, and leaves only the plan in the temp folder', async () => {
  const result = await cli(['restore', '--vault', 'staging', '--from', backupDir])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expectNothingSecret(result)
  expect(result.stdout).toMatch(/^restored 3, recovered 0, skipped 0, failed 0 \(plan file: /m)
  expect(await stagingState()).toEqual({
    names: ['certificates/www-tls', 'keys/signing-key', 'secrets/db-password'],
    dbPasswordVersions: 2
  })
  // The backup folder is read, never changed; the run's unpacked copies are gone.
  expect(readdirSync(backupDir).sort()).toEqual(['certificates', 'keys', 'manifest.json', 'secrets'])
  expect(readdirSync(laptopEnv.TMPDIR)).toEqual(['keyvault-restore'])
  expect(readdirSync(join(laptopEnv.TMPDIR, 'keyvault-restore'))).toEqual(['plan-staging.json'])
})

test('a bad option value fails with one error line naming the option, before any request', async () => {
  testbed.keyvault.clearLog()
  const result = await cli(['restore', '--vault', 'staging', '--from', backupDir, '--if-exists', 'nuke'])
  expect(result.code).not.toBe(0)
  expect(result.stdout).toBe('')
  const lines = result.stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: .*'if-exists'.*"nuke".*skip, fail, replace/)
  expect(testbed.keyvault.requestLog).toEqual([])
})

test('--help prints the usage and exits 0', async () => {
  const result = await cli(['restore', '--help'])
  expect(result.code).toBe(0)
  expect(result.stderr).toMatch(/^Usage: keyvault-backup restore --vault NAME\|URL --from DIR/)
  expect(result.stderr).toMatch(/--if-deleted POLICY/)
  expect(result.stdout).toBe('')
})

test('discover --json prints only the vaults the app may read through Resource Manager on stdout', async () => {
  const result = await cli(['discover', '--json'])
  expect(result.code).toBe(0)
  expectNothingSecret(result)
  // stdout is the JSON alone (ready for jq); the progress and the closing line are on stderr.
  const vaults = JSON.parse(result.stdout) as Array<{ name: string; url: string; subscriptionId: string }>
  const view = testbed.arm.view(testbed.layout.tenants[0].apps[0].objectId)
  const readable = Object.entries(view.vaults).flatMap(([sub, names]) => names.map(n => `${sub}/${n}`))
  expect(readable.length).toBeGreaterThan(0)
  expect(vaults.map(v => `${v.subscriptionId}/${v.name}`).sort()).toEqual(readable.sort())
  expect(vaults.find(v => v.name === 'prod')?.url).toBe('https://prod.vault.azure.net')
  const stderr = result.stderr.trim().split('\n')
  expect(stderr.filter(l => /^(error|warning):/.test(l))).toEqual([])
  expect(stderr[stderr.length - 1]).toMatch(
    new RegExp(
      `^found ${readable.length} vaults in \\d+ groups; ${Object.keys(view.vaults).length} subscriptions read, ${view.forbidden.length} not read$`
    )
  )
})

test('copy --vault prod --to staging --plan prints and writes the plan, and writes nothing to staging', async () => {
  // After the restore above, staging equals prod; prod now gains a secret and a new current value.
  const prod = testbed.keyvault.vault('prod')
  prod.seedSecret('api-token', COPY_CANARIES[0])
  await new SecretClient(prod.localUrl, testbed.credential(), testbed.sdkOptions()).setSecret(
    'db-password',
    COPY_CANARIES[1]
  )
  testbed.keyvault.clearLog()
  const result = await cli(['copy', '--vault', 'prod', '--to', 'staging', '--plan', '--if-exists', 'update'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expectNothingSecret(result, COPY_CANARIES)
  expect(result.stdout).toMatch(/secret 'api-token': absent -> create/)
  expect(result.stdout).toMatch(/secret 'db-password': different -> update/)
  expect(result.stdout).toMatch(/certificate 'www-tls': equal -> unchanged/)
  const planPath = join(laptopEnv.TMPDIR, 'keyvault-copy', 'plan-prod-to-staging.json')
  expect(result.stdout.trim().split('\n')).toContain(`plan only: 3 items planned (plan file: ${planPath})`)
  const planText = readFileSync(planPath, 'utf8')
  const plan = JSON.parse(planText) as { items: Array<{ name: string; outcome: string }> }
  expect(plan.items.map(i => `${i.name}:${i.outcome}`).sort()).toEqual([
    'api-token:planned',
    'db-password:planned',
    'www-tls:planned'
  ])
  for (const value of COPY_CANARIES) expect(planText).not.toContain(value)
  const stagingLog = testbed.keyvault.requestLog.filter(e => e.vault === 'staging')
  expect(stagingLog.length).toBeGreaterThan(0)
  expect(stagingLog.filter(e => WRITES.has(e.method))).toEqual([])
  expect(testbed.keyvault.requestLog.filter(e => e.vault === 'prod' && WRITES.has(e.method))).toEqual([])
  expect((await stagingState()).dbPasswordVersions).toBe(2)
})

test('copy --vault prod --to staging brings the values into staging (read back with the SDK)', async () => {
  const result = await cli(['copy', '--vault', 'prod', '--to', 'staging', '--if-exists', 'update'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expectNothingSecret(result, COPY_CANARIES)
  expect(result.stdout).toMatch(/^copied 2, unchanged 1, skipped 0, failed 0 \(plan file: /m)
  const staging = new SecretClient(
    testbed.keyvault.vault('staging').localUrl,
    testbed.credential(),
    testbed.sdkOptions()
  )
  expect((await staging.getSecret('api-token')).value).toBe(COPY_CANARIES[0])
  expect((await staging.getSecret('db-password')).value).toBe(COPY_CANARIES[1])
  // The update wrote one new version on top of the two the restore brought.
  expect(await stagingState()).toEqual({
    names: ['certificates/www-tls', 'keys/signing-key', 'secrets/api-token', 'secrets/db-password'],
    dbPasswordVersions: 3
  })
})
