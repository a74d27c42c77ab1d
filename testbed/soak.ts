/**
 * `npm run soak`: the fault soak of issue 6. Backs up 5,000 items of `prod` as an artifact, then
 * restores that artifact into the empty `staging` (same security world), then copies `prod` into
 * the empty `copysoak` (`operation: copy`: secrets, certificates and keys, `versions: latest`),
 * while every vault answers 10% of requests with 503, resets 2% of connections and throttles at a
 * quarter of the documented rate (1,000 requests per 10 s). During the copy the target also loses
 * the answer to 2% of its writes after applying them (`--lost-answers`): the emulator's resets
 * strike before a request is served, so without this the retry of a write that did land is never
 * exercised.
 *
 * Zero lost is the bar: the manifest must equal the source's inventory, the restored vault must
 * equal the source (names, version counts, tags), and the copy's target must hold every selected
 * source item with the source's current value (read back with the SDK; certificates by thumbprint,
 * keys by version id) and exactly one version of each secret and certificate (no write duplicated
 * by a retry). Prints the figures; exits non-zero on any loss or failure. Not part of `npm test`
 * (it runs for minutes).
 *
 *   npm run soak                       # 5,000 items
 *   npm run soak -- --items 500        # a quicker smoke run
 *   npm run soak -- --only copy        # only the copy phase (or: --only backup, the backup and restore)
 *   npm run soak -- --lost-answers 0   # the copy without lost answers
 *   npm run soak -- --entry other/index.js
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { join, resolve } from 'node:path'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { ACTION_ENTRY, runAction, type RunResult } from './harness.js'
import { startTestbed, type Testbed } from './index.js'
import type { EmulatedVault, VaultState } from './keyvault/emulator.js'
import { seededRandom } from './keyvault/faults.js'

const argv = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const at = argv.indexOf(`--${name}`)
  return at >= 0 ? argv[at + 1] : undefined
}
const ITEMS = Number(option('items') ?? 5000)
const ONLY = option('only')
if (ONLY !== undefined && ONLY !== 'copy' && ONLY !== 'backup') throw new Error('--only takes copy or backup')
const LOST_ANSWERS = Number(option('lost-answers') ?? 0.02)
const entry = option('entry') ? resolve(option('entry')!) : ACTION_ENTRY
const TYPES = ['secrets', 'keys', 'certificates'] as const
type ItemType = (typeof TYPES)[number]

const t0 = performance.now()
const say = (text: string): void =>
  console.log(`[soak ${((performance.now() - t0) / 1000).toFixed(1)}s] ${text}`)

/** 1% certificates (each owning a managed key and secret, which backup skips), 7% EC keys, the rest secrets. */
function seed(vault: EmulatedVault, items: number): Record<ItemType, number> {
  const certificates = Math.max(1, Math.round(items / 100))
  const keys = Math.round(items * 0.07)
  const secrets = items - certificates - keys
  for (let i = 0; i < secrets; i++) {
    vault.seedSecret(`soak-secret-${i}`, `value-${i}`, {
      versions: 1 + (i % 3),
      tags: { app: `app-${i % 7}`, index: String(i) },
      ...(i % 5 === 0 && { contentType: 'text/plain' })
    })
  }
  for (let i = 0; i < keys; i++) {
    vault.seedKey(`soak-key-${i}`, { kty: 'EC', versions: 1 + (i % 2), tags: { index: String(i) } })
  }
  for (let i = 0; i < certificates; i++)
    vault.seedCertificate(`soak-cert-${i}`, { tags: { index: String(i) } })
  return { secrets, keys, certificates }
}

/** What a backup must hold and a restore must rebuild: `type/name` -> version count and tags (managed items excluded). */
function inventory(state: VaultState): Map<string, string> {
  const result = new Map<string, string>()
  for (const type of TYPES) {
    for (const item of state[type].active.filter(i => !i.managed)) {
      const tags = Object.entries(item.tags).sort(([a], [b]) => a.localeCompare(b))
      result.set(`${type}/${item.name}`, JSON.stringify({ versions: item.versions.length, tags }))
    }
  }
  return result
}

/** Differences between two inventories: missing, extra, and changed entries. */
function compare(expected: Map<string, string>, actual: Map<string, string>) {
  const missing = [...expected.keys()].filter(k => !actual.has(k))
  const extra = [...actual.keys()].filter(k => !expected.has(k))
  const changed = [...expected.keys()].filter(k => actual.has(k) && actual.get(k) !== expected.get(k))
  return { missing, extra, changed, lost: missing.length + changed.length }
}

/** Request counts of one vault since the last clearLog: total, 429, 503, resets (status 0), non-GET calls. */
function requestFigures(testbed: Testbed, vault: string) {
  const log = testbed.keyvault.requestLog.filter(e => e.vault === vault)
  const count = (test: (e: (typeof log)[number]) => boolean) => log.filter(test).length
  return {
    requests: log.length,
    throttled429: count(e => e.status === 429),
    injected503: count(e => e.status === 503),
    resets: count(e => e.status === 0),
    nonGet: count(e => e.method !== 'GET')
  }
}

async function phase(testbed: Testbed, vault: string, inputs: Record<string, string>, otherVault?: string) {
  testbed.keyvault.clearLog()
  const tokensBefore = testbed.entra.tokenLog.length
  const started = performance.now()
  const result: RunResult = await runAction({ env: testbed.env, inputs, entry, timeoutMs: 3_600_000 })
  const seconds = (performance.now() - started) / 1000
  return {
    result,
    seconds,
    figures: {
      ...requestFigures(testbed, vault),
      tokenRequests: testbed.entra.tokenLog.length - tokensBefore
    },
    ...(otherVault && { otherFigures: requestFigures(testbed, otherVault) })
  }
}

function failureLines(result: RunResult): string {
  return result.stdout
    .split('\n')
    .filter(line => line.startsWith('::error') || line.startsWith('::warning'))
    .slice(0, 10)
    .join('\n')
}

/** Backup of `prod` as an artifact, then its restore into `staging`: true when nothing was lost. */
async function backupAndRestore(testbed: Testbed, expected: Map<string, string>): Promise<boolean> {
  const backup = await phase(testbed, 'prod', { vault: 'prod' })
  say(
    `backup: exit ${backup.result.exitCode} in ${backup.seconds.toFixed(1)} s; outputs ` +
      JSON.stringify({
        'backed-up': backup.result.outputs['backed-up'],
        skipped: backup.result.outputs.skipped,
        failed: backup.result.outputs.failed
      }) +
      `; ${JSON.stringify(backup.figures)}`
  )
  if (backup.result.exitCode !== 0) console.log(failureLines(backup.result))
  const manifest = JSON.parse(
    readFileSync(join(backup.result.outputs['backup-path'], 'manifest.json'), 'utf8')
  ) as {
    items: Array<{ type: string; name: string; versionCount: number; tags: Record<string, string> }>
  }
  const manifestInventory = new Map(
    manifest.items.map(i => [
      `${i.type}/${i.name}`,
      JSON.stringify({
        versions: i.versionCount,
        tags: Object.entries(i.tags).sort(([a], [b]) => a.localeCompare(b))
      })
    ])
  )
  const backupDiff = compare(expected, manifestInventory)
  say(
    `manifest vs source inventory: ${manifestInventory.size} items, missing ${backupDiff.missing.length}, ` +
      `extra ${backupDiff.extra.length}, changed ${backupDiff.changed.length}`
  )

  const restore = await phase(testbed, 'staging', {
    operation: 'restore',
    vault: 'staging',
    'artifact-name': 'keyvault-backup-prod'
  })
  say(
    `restore: exit ${restore.result.exitCode} in ${restore.seconds.toFixed(1)} s; outputs ` +
      JSON.stringify({
        restored: restore.result.outputs.restored,
        recovered: restore.result.outputs.recovered,
        skipped: restore.result.outputs.skipped,
        failed: restore.result.outputs.failed
      }) +
      `; ${JSON.stringify(restore.figures)}`
  )
  if (restore.result.exitCode !== 0) console.log(failureLines(restore.result))
  const restoreDiff = compare(expected, inventory(testbed.keyvault.vault('staging').state()))
  say(
    `restored vault vs source: missing ${restoreDiff.missing.length}, extra ${restoreDiff.extra.length}, ` +
      `changed ${restoreDiff.changed.length}`
  )
  for (const [label, diff] of [
    ['backup', backupDiff],
    ['restore', restoreDiff]
  ] as const) {
    const sample = [...diff.missing, ...diff.changed, ...diff.extra].slice(0, 5)
    if (sample.length > 0) say(`${label} differences, first few: ${sample.join(', ')}`)
  }

  const failed = Number(backup.result.outputs.failed ?? NaN) + Number(restore.result.outputs.failed ?? NaN)
  const lost = backupDiff.lost + restoreDiff.lost
  const ok = lost === 0 && failed === 0 && backup.result.exitCode === 0 && restore.result.exitCode === 0
  say(
    `backup and restore: ${expected.size} items, lost ${lost}, failed ${Number.isNaN(failed) ? 'unknown' : failed}: ${ok ? 'PASS' : 'FAIL'}`
  )
  return ok
}

/**
 * Makes the vault lose the answer to a share of its writes (PUT of a secret, POST of a certificate
 * import or of a key restore) after it applied them: the connection is destroyed instead of answered, as when a
 * network drops the response. The caller sees a reset and retries a write that already landed.
 * Returns the count of answers lost so far.
 */
function loseWriteAnswers(vault: EmulatedVault, share: number, seed: number): () => number {
  const random = seededRandom(seed)
  let lost = 0
  type Process = (req: IncomingMessage, url: URL, entry: unknown) => Promise<{ status: number }>
  const server = vault as unknown as { process: Process }
  const serve = server.process.bind(vault)
  server.process = async (req, url, entry) => {
    const reply = await serve(req, url, entry)
    const write =
      (req.method === 'PUT' && /^\/secrets\/[^/]+\/?$/.test(url.pathname)) ||
      (req.method === 'POST' && /^\/certificates\/[^/]+\/import\/?$/.test(url.pathname)) ||
      (req.method === 'POST' && /^\/keys\/restore\/?$/.test(url.pathname))
    if (write && reply.status < 300 && random() < share) {
      lost++
      req.socket.destroy()
    }
    return reply
  }
  return () => lost
}

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++])
    })
  )
}

/**
 * Copy of `prod` into the empty `copysoak` (secrets, certificates and keys, `versions: latest`; the
 * same security world, so keys travel as their backups) under the same faults, plus lost answers to
 * the target's writes. Then, with the faults off, every selected source item is read back from both
 * vaults with the SDK: a secret's current value, content type, tags and enabled flag must match, a
 * certificate's current thumbprint and tags, a key's current version id. The target must hold
 * exactly one version of each secret and certificate (a retried write adds none), and each key's
 * versions, no more. True when nothing was lost or duplicated.
 */
async function copyPhase(testbed: Testbed): Promise<boolean> {
  const prod = testbed.keyvault.vault('prod')
  const target = await testbed.keyvault.addVault({
    ...prod.config,
    name: 'copysoak',
    roleAssignments: prod.config.roleAssignments
  })
  const lostAnswers = loseWriteAnswers(target, LOST_ANSWERS, 2027)
  say(`copy: prod -> copysoak; the target also loses the answer to ${LOST_ANSWERS * 100}% of its writes`)
  const copy = await phase(
    testbed,
    'prod',
    { operation: 'copy', vault: 'prod', 'target-vault': 'copysoak', types: 'secrets, certificates, keys' },
    'copysoak'
  )
  say(
    `copy: exit ${copy.result.exitCode} in ${copy.seconds.toFixed(1)} s; outputs ` +
      JSON.stringify({
        copied: copy.result.outputs.copied,
        unchanged: copy.result.outputs.unchanged,
        skipped: copy.result.outputs.skipped,
        failed: copy.result.outputs.failed
      }) +
      `; source ${JSON.stringify(copy.figures)}; target ${JSON.stringify(copy.otherFigures)}; ` +
      `answers lost after a write: ${lostAnswers()}`
  )
  if (copy.result.exitCode !== 0) console.log(failureLines(copy.result))

  // Read back with the faults and the throttle off: the check must not fail on its own.
  for (const vault of [prod, target]) {
    vault.behaviour = {
      ...vault.behaviour,
      faults: { ...vault.behaviour.faults, p503: 0, p500: 0, pReset: 0 },
      throttle: { limit: 1_000_000, windowMs: 10_000 }
    }
  }
  const sdk = (vault: EmulatedVault) => {
    const args = [vault.localUrl, testbed.credential(), testbed.sdkOptions()] as const
    return {
      secrets: new SecretClient(...args),
      certificates: new CertificateClient(...args),
      keys: new KeyClient(...args)
    }
  }
  const [from, to] = [sdk(prod), sdk(target)]
  const state = prod.state()
  const selected = [
    ...state.secrets.active.filter(i => !i.managed).map(i => ({ type: 'secrets' as const, name: i.name })),
    ...state.certificates.active.map(i => ({ type: 'certificates' as const, name: i.name })),
    ...state.keys.active.filter(i => !i.managed).map(i => ({ type: 'keys' as const, name: i.name }))
  ]
  const lost: string[] = []
  await eachLimited(selected, 16, async ({ type, name }) => {
    try {
      if (type === 'secrets') {
        const [a, b] = await Promise.all([from.secrets.getSecret(name), to.secrets.getSecret(name)])
        const shape = (s: typeof a) =>
          JSON.stringify([s.value, s.properties.contentType, s.properties.tags, s.properties.enabled])
        if (shape(a) !== shape(b)) lost.push(`${type}/${name} (differs)`)
      } else if (type === 'keys') {
        const [a, b] = await Promise.all([from.keys.getKey(name), to.keys.getKey(name)])
        if (a.properties.version !== b.properties.version) lost.push(`${type}/${name} (differs)`)
      } else {
        const [a, b] = await Promise.all([
          from.certificates.getCertificate(name),
          to.certificates.getCertificate(name)
        ])
        const shape = (c: typeof a) =>
          JSON.stringify([Buffer.from(c.properties.x509Thumbprint ?? []).toString('hex'), c.properties.tags])
        if (shape(a) !== shape(b)) lost.push(`${type}/${name} (differs)`)
      }
    } catch (error) {
      lost.push(`${type}/${name} (${(error as { statusCode?: number }).statusCode ?? String(error)})`)
    }
  })
  const targetState = target.state()
  const keyVersions = new Map(state.keys.active.map(i => [i.name, i.versions.length]))
  const duplicated = [
    ...targetState.secrets.active
      .filter(i => !i.managed)
      .map(i => ({ key: `secrets/${i.name}`, n: i.versions.length, expected: 1 })),
    ...targetState.certificates.active.map(i => ({
      key: `certificates/${i.name}`,
      n: i.versions.length,
      expected: 1
    })),
    ...targetState.keys.active
      .filter(i => !i.managed)
      .map(i => ({ key: `keys/${i.name}`, n: i.versions.length, expected: keyVersions.get(i.name) ?? 0 }))
  ].filter(i => i.n > i.expected)
  say(
    `copy target vs source (SDK): ${selected.length} selected items, lost ${lost.length}; ` +
      `items with versions beyond the source's: ${duplicated.length} (${duplicated.reduce((sum, i) => sum + i.n - i.expected, 0)} extra versions)`
  )
  if (lost.length > 0) say(`copy lost, first few: ${lost.slice(0, 5).join(', ')}`)
  if (duplicated.length > 0)
    say(
      `copy duplicated, first few: ${duplicated
        .slice(0, 5)
        .map(i => `${i.key} (${i.n} versions)`)
        .join(', ')}`
    )
  const failed = Number(copy.result.outputs.failed ?? NaN)
  const ok = lost.length === 0 && duplicated.length === 0 && failed === 0 && copy.result.exitCode === 0
  say(
    `copy: ${selected.length} items, lost ${lost.length}, duplicated ${duplicated.length}, failed ${Number.isNaN(failed) ? 'unknown' : failed}: ${ok ? 'PASS' : 'FAIL'}`
  )
  return ok
}

async function main(): Promise<number> {
  const testbed = await startTestbed({
    behaviour: {
      throttle: { limit: 1000, windowMs: 10_000 },
      faults: { p503: 0.1, p500: 0, pReset: 0.02, seed: 2026 },
      deleteWindowMs: [200, 1000],
      purgeWindowMs: [200, 1000]
    }
  })
  try {
    const source = testbed.keyvault.vault('prod')
    const seeded = seed(source, ITEMS)
    const expected = inventory(source.state())
    say(`seeded prod: ${JSON.stringify(seeded)} (${expected.size} items to back up)`)
    say(
      'faults: 10% 503, 2% connection resets; throttle 1,000 requests / 10 s per vault (a quarter of 4,000)'
    )
    const results: Record<string, boolean> = {}
    if (ONLY !== 'copy') results['backup and restore'] = await backupAndRestore(testbed, expected)
    if (ONLY !== 'backup') results.copy = await copyPhase(testbed)
    const ok = Object.values(results).every(Boolean)
    say(
      `RESULT: ${expected.size} items; ${Object.entries(results)
        .map(([name, pass]) => `${name} ${pass ? 'PASS' : 'FAIL'}`)
        .join(', ')}: ${ok ? 'PASS' : 'FAIL'}`
    )
    return ok ? 0 : 1
  } finally {
    await testbed.stop()
  }
}

main().then(
  code => process.exit(code),
  error => {
    console.error(error)
    process.exit(1)
  }
)
