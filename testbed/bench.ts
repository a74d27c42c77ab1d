/**
 * `npm run bench`: the action's backup and restore against the throttling bound, a sequential SDK
 * loop and the `az` loop, measured side by side in one run on the test bed with realistic latency
 * and Key Vault's documented throttle. Also cold start, dist/ size and peak RSS at 10,000 items.
 * See docs/performance.md for what each figure means. Not part of `npm test`.
 */
import { cpus, loadavg, totalmem, tmpdir } from 'node:os'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { DEFAULT_CONCURRENCY } from '../src/inputs.js'
import { ACTION_ENTRY } from './harness.js'
import { startTestbed, type Testbed } from './index.js'
import type { EmulatedVault } from './keyvault/emulator.js'
import { countLog, measureAction, measureColdStart, type ActionRun, type Phases } from './bench/action.js'
import { measureAzLoop } from './bench/az-loop.js'
import { measureDiscover, type DiscoverMeasurement } from './bench/discover.js'
import {
  busiest,
  copyTransactions,
  loopCopyTransactions,
  seedCopyWorkload,
  targetTally,
  vaultTotal,
  type CopyCounts,
  type CopyWorkload
} from './bench/copy.js'
import { parseOptions } from './bench/options.js'
import { folderBytes, largestFile, runMeasured } from './bench/probe.js'
import { summariseProfile, type ProfileSummary } from './bench/profile.js'
import { formatTable, measurement, writeResults, type Bound, type Measurement } from './bench/report.js'
import {
  backupTransactions,
  planWorkload,
  restoreTransactions,
  seedWorkload,
  total,
  type TransactionCounts,
  type WorkloadItem
} from './bench/workload.js'

const ROOT = resolve(dirname(ACTION_ENTRY), '..')
const options = parseOptions(process.argv.slice(2))
const entry = options.entry ? resolve(options.entry) : ACTION_ENTRY
if (!existsSync(entry)) {
  console.error(`${entry} is missing: run 'npm run build' first.`)
  process.exit(1)
}
const say = (text: string): void =>
  console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${text}`)
const t0 = performance.now()
const loadStart = loadavg()
const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
const ratePerSecond = options.throttleLimit / (options.throttleWindowMs / 1000)
const meanLatencyS = (options.latencyMs + options.jitterMs / 2) / 1000

/** The two lower bounds for a transaction count. */
function bound(counts: TransactionCounts, c = concurrency): Bound {
  const transactions = total(counts)
  return {
    transactions,
    throttleSeconds: transactions / ratePerSecond,
    latencySeconds: (transactions * meanLatencyS) / c,
    concurrency: c
  }
}

/** The bounds of a copy: each vault has its own limit, so the busiest vault's transactions set them. */
function copyBound(counts: CopyCounts, c = concurrency): Bound & { vault: string } {
  const { vault, transactions } = busiest(counts)
  return {
    vault,
    transactions,
    throttleSeconds: transactions / ratePerSecond,
    latencySeconds: (transactions * meanLatencyS) / c,
    concurrency: c
  }
}

/** Starts each measurement with a full token bucket, as after an idle night. */
function refillBuckets(testbed: Testbed): void {
  for (const vault of testbed.keyvault.vaults()) vault.refillThrottle()
}

function timed(work: () => void): number {
  const started = performance.now()
  work()
  return (performance.now() - started) / 1000
}

function seed(vault: EmulatedVault, items: WorkloadItem[], rsaKeyShare: number): number {
  const started = performance.now()
  seedWorkload(vault, items, { rsaKeyShare })
  return (performance.now() - started) / 1000
}

const num = (value: string | undefined): number => (value === undefined || value === '' ? NaN : Number(value))

/** Non-managed active objects of a vault, to check a restore independently of the action's outputs. */
function activeItems(vault: EmulatedVault): number {
  const state = vault.state()
  return (['secrets', 'keys', 'certificates'] as const).reduce(
    (sum, kind) => sum + state[kind].active.filter(i => !i.managed).length,
    0
  )
}

function actionInputs(extra: Record<string, string>): Record<string, string> {
  return { ...extra, ...(options.concurrency !== undefined && { concurrency: String(options.concurrency) }) }
}

/** The table row of one measured run of the action. */
function actionRow(
  name: string,
  items: number,
  run: ActionRun,
  failures: number,
  b: Bound,
  extra: Partial<Measurement> = {}
): Measurement {
  const { seconds, peakRssMb } = run
  const { throttled, transactions } = run.log
  return measurement(
    { name, kind: 'measured', items, seconds, peakRssMb, throttled, transactions, failures, ...extra },
    b
  )
}

function tail(run: ActionRun): string {
  return run.result.log.split('\n').slice(-15).join('\n')
}

const testbed = await startTestbed({
  behaviour: {
    latency: { fixedMs: options.latencyMs, jitterMs: options.jitterMs },
    throttle: { limit: options.throttleLimit, windowMs: options.throttleWindowMs }
  }
})
let exitCode = 0
try {
  const prod = testbed.keyvault.vault('prod')
  const world = { ...prod.config, roleAssignments: prod.config.roleAssignments }
  const items = planWorkload(options.items)
  say(`seeding ${items.length} items into prod`)
  const seedSeconds = seed(prod, items, options.rsaKeyShare)
  const backupBound = bound(backupTransactions(items))
  const restoreBound = bound(restoreTransactions(items))
  const work = mkdtempSync(join(tmpdir(), 'kvb-bench-'))

  say(`cold start: ${options.coldStartTrials} dry runs on the empty vault 'staging'`)
  const coldStart = await measureColdStart(
    testbed,
    'staging',
    options.coldStartTrials,
    options.entry && entry
  )

  say('action: backup of prod')
  refillBuckets(testbed)
  const backupPath = join(work, 'backup')
  const backup = await measureAction(
    testbed,
    'prod',
    actionInputs({ vault: 'prod', path: backupPath, 'artifact-name': 'bench-backup' }),
    options.entry && entry
  )
  const backedUp = num(backup.result.outputs['backed-up'])
  const backupFailures = num(backup.result.outputs.failed)
  if (backup.result.exitCode !== 0 || backedUp !== items.length) {
    say(`backup did not complete (exit ${backup.result.exitCode}, backed-up ${backedUp}):\n${tail(backup)}`)
    exitCode = 1
  }

  // On the vault's loopback URL the test bed's proxy (which runs in this process) is out of the
  // path, as on a GitHub-hosted runner without a proxy: the difference is what the proxy costs.
  say('action: backup of prod on its loopback URL (no proxy: connections kept alive)')
  refillBuckets(testbed)
  const direct = await measureAction(
    testbed,
    'prod',
    actionInputs({
      vault: prod.localUrl,
      path: join(work, 'backup-direct'),
      'artifact-name': 'bench-direct'
    }),
    options.entry && entry
  )
  const directFailures = items.length - num(direct.result.outputs['backed-up'])
  if (direct.result.exitCode !== 0 || directFailures !== 0) {
    say(`backup without proxy did not complete (exit ${direct.result.exitCode}):\n${tail(direct)}`)
    exitCode = 1
  }

  say('action: restore into the empty vault benchtarget (same world)')
  const target = await testbed.keyvault.addVault({ ...world, name: 'benchtarget' })
  refillBuckets(testbed)
  const restore = await measureAction(
    testbed,
    'benchtarget',
    // From the artifact, as users restore: download, digest check, unpacking and verification.
    actionInputs({ operation: 'restore', vault: 'benchtarget', 'artifact-name': 'bench-backup' }),
    options.entry && entry
  )
  const restored = activeItems(target)
  const restoreAvailable = !/not available in this version/.test(restore.result.log)
  const restoreFailures = num(restore.result.outputs.failed)
  if (restoreAvailable && (restore.result.exitCode !== 0 || restored !== items.length)) {
    say(
      `restore did not complete (exit ${restore.result.exitCode}, ${restored} items in target):\n${tail(restore)}`
    )
    exitCode = 1
  }

  say('baseline: sequential SDK loop (own process)')
  refillBuckets(testbed)
  const sdkFrom = testbed.keyvault.requestLog.length
  const sdkProxyFrom = testbed.proxy.log.length
  const sdk = await runMeasured(process.execPath, [join(ROOT, 'testbed', 'bench', 'sdk-loop.ts')], {
    ...process.env,
    ...testbed.env,
    NODE_NO_WARNINGS: '1',
    AZURE_CLIENT_SECRET: testbed.layout.apps[0].clientSecret,
    BENCH_VAULT_URL: 'https://prod.vault.azure.net',
    BENCH_OUT: join(work, 'sdk-loop')
  })
  const sdkSummary = JSON.parse(sdk.stdout.trim().split('\n').pop() || '{}') as {
    backedUp?: number
    failed?: number
  }
  if (sdk.exitCode !== 0) say(`SDK loop failed (exit ${sdk.exitCode}): ${sdk.stderr.slice(-1500)}`)
  const sdkLog = countLog(testbed, 'prod', sdkFrom)
  const sdkTunnels = testbed.proxy.log
    .slice(sdkProxyFrom)
    .filter(e => e.host === 'prod.vault.azure.net').length

  // A mixed subset in the workload's proportions: every item in order, so 7:2:1 per ten.
  const azSubset = items.slice(0, options.azItems)
  say(`baseline: az loop on ${azSubset.length} items (one az process per item)`)
  refillBuckets(testbed)
  const az = await measureAzLoop(testbed, 'prod', azSubset)
  const counts = backupTransactions(items)
  // The loops list, then make one backup call per item: no version counting.
  const loopCounts = { ...counts, versionPages: 0 }
  const azSeconds = az.available
    ? az.loginSeconds + counts.listPages * az.listCallSeconds + items.length * az.perItemMean
    : NaN

  // Copy: the action's copy of a vault into an empty vault of the same tenant, against the
  // busiest vault's bound and a sequential get/set loop, then the peak RSS of a big copy.
  const copyWorkload: CopyWorkload = { secrets: options.copySecrets, certificates: options.copyCertificates }
  const copyItems = copyWorkload.secrets + copyWorkload.certificates
  let copy: Record<string, unknown> | undefined
  const copyRows: Measurement[] = []
  if (copyItems > 0) {
    say(
      `copy: seeding ${copyWorkload.secrets} secrets and ${copyWorkload.certificates} certificates into copysrc`
    )
    const copySource = await testbed.keyvault.addVault({ ...world, name: 'copysrc' })
    const copySeed = timed(() => seedCopyWorkload(copySource, copyWorkload))
    const copyTarget = await testbed.keyvault.addVault({ ...world, name: 'copytarget' })
    const loopTarget = await testbed.keyvault.addVault({ ...world, name: 'copyloop' })
    const counts = copyTransactions(copyWorkload)
    const b = copyBound(counts)

    say('action: copy of copysrc into the empty vault copytarget')
    refillBuckets(testbed)
    const from = testbed.keyvault.requestLog.length
    const run = await measureAction(
      testbed,
      'copysrc',
      actionInputs({ operation: 'copy', vault: 'copysrc', 'target-vault': 'copytarget' }),
      options.entry && entry,
      undefined,
      ['copytarget']
    )
    const targetLog = countLog(testbed, 'copytarget', from)
    const tally = targetTally(copyTarget)
    const copied = num(run.result.outputs.copied)
    if (run.result.exitCode !== 0 || copied !== copyItems || tally.items !== copyItems) {
      say(
        `copy did not complete (exit ${run.result.exitCode}, copied ${copied}, ${tally.items} items in target):\n${tail(run)}`
      )
      exitCode = 1
    }

    say('baseline: sequential SDK get/set loop of the copy (own process)')
    refillBuckets(testbed)
    const loopFrom = testbed.keyvault.requestLog.length
    const loop = await runMeasured(process.execPath, [join(ROOT, 'testbed', 'bench', 'sdk-copy-loop.ts')], {
      ...process.env,
      ...testbed.env,
      NODE_NO_WARNINGS: '1',
      AZURE_CLIENT_SECRET: testbed.layout.apps[0].clientSecret,
      BENCH_VAULT_URL: 'https://copysrc.vault.azure.net',
      BENCH_TARGET_URL: 'https://copyloop.vault.azure.net'
    })
    const loopSummary = JSON.parse(loop.stdout.trim().split('\n').pop() || '{}') as {
      copied?: number
      failed?: number
    }
    if (loop.exitCode !== 0) say(`SDK copy loop failed (exit ${loop.exitCode}): ${loop.stderr.slice(-1500)}`)
    const loopSource = countLog(testbed, 'copysrc', loopFrom)
    const loopTargetLog = countLog(testbed, 'copyloop', loopFrom)
    const loopRow = measurement(
      {
        name: 'sequential SDK get/set loop (copy)',
        kind: 'measured',
        items: copyItems,
        seconds: loop.seconds,
        peakRssMb: loop.peakRssMb,
        throttled: loopSource.throttled + loopTargetLog.throttled,
        transactions: loopSource.transactions + loopTargetLog.transactions,
        failures: Math.max(copyItems - targetTally(loopTarget).items, loopSummary.failed ?? 0),
        note: 'transactions: both vaults'
      },
      copyBound(loopCopyTransactions(copyWorkload), 1)
    )
    const copyRow = measurement(
      {
        name: 'action copy',
        kind: 'measured',
        items: copyItems,
        seconds: run.seconds,
        peakRssMb: run.peakRssMb,
        throttled: run.log.throttled + targetLog.throttled,
        transactions: b.vault === 'source' ? run.log.transactions : targetLog.transactions,
        failures: Math.max(copyItems - tally.items, num(run.result.outputs.failed) || 0),
        speedupOverSdkLoop: loop.seconds / run.seconds,
        note: `transactions: the busiest vault's (${b.vault}); source ${run.log.transactions}, target ${targetLog.transactions}; ${tally.multiVersion} target items with more than one version`
      },
      b
    )
    copyRows.push(copyRow, loopRow)

    let copyBig: Record<string, unknown> | undefined
    if (options.copyBigItems > 0) {
      const bigWorkload = { secrets: options.copyBigItems, certificates: 0 }
      say(`copy RSS run: seeding ${bigWorkload.secrets} secrets into copybig`)
      const bigSource = await testbed.keyvault.addVault({ ...world, name: 'copybig' })
      const bigSeed = timed(() => seedCopyWorkload(bigSource, bigWorkload))
      const bigTarget = await testbed.keyvault.addVault({ ...world, name: 'copybigtarget' })
      say('copy RSS run: action copy of copybig into copybigtarget')
      refillBuckets(testbed)
      const bigFrom = testbed.keyvault.requestLog.length
      const bigRun = await measureAction(
        testbed,
        'copybig',
        actionInputs({ operation: 'copy', vault: 'copybig', 'target-vault': 'copybigtarget' }),
        options.entry && entry,
        undefined,
        ['copybigtarget']
      )
      const bigTargetLog = countLog(testbed, 'copybigtarget', bigFrom)
      const bigTally = targetTally(bigTarget)
      const bigCounts = copyTransactions(bigWorkload)
      const bb = copyBound(bigCounts)
      if (bigRun.result.exitCode !== 0 || bigTally.items !== bigWorkload.secrets) {
        say(
          `big copy did not complete (exit ${bigRun.result.exitCode}, ${bigTally.items} items in target):\n${tail(bigRun)}`
        )
        exitCode = 1
      }
      const bigRow = measurement(
        {
          name: `action copy, ${bigWorkload.secrets} secrets`,
          kind: 'measured',
          items: bigWorkload.secrets,
          seconds: bigRun.seconds,
          peakRssMb: bigRun.peakRssMb,
          throttled: bigRun.log.throttled + bigTargetLog.throttled,
          transactions: bb.vault === 'source' ? bigRun.log.transactions : bigTargetLog.transactions,
          failures: Math.max(bigWorkload.secrets - bigTally.items, num(bigRun.result.outputs.failed) || 0),
          note: `source ${bigRun.log.transactions}, target ${bigTargetLog.transactions}; ${bigTally.multiVersion} target items with more than one version; peak RSS first seen ${bigRun.peakAtSeconds.toFixed(1)} s after the spawn`
        },
        bb
      )
      copyRows.push(bigRow)
      copyBig = {
        workload: bigWorkload,
        seedSeconds: bigSeed,
        bound: { ...bb, counts: bigCounts },
        row: bigRow,
        phases: bigRun.phases,
        cpuSeconds: bigRun.cpu,
        exitCode: bigRun.result.exitCode
      }
    }
    copy = {
      workload: copyWorkload,
      seedSeconds: copySeed,
      bound: {
        ...b,
        counts,
        perVault: { source: vaultTotal(counts.source), target: vaultTotal(counts.target) }
      },
      rows: copyRows,
      phases: run.phases,
      cpuSeconds: run.cpu,
      tunnels: run.tunnels,
      exitCode: run.result.exitCode,
      outputs: {
        copied: run.result.outputs.copied,
        unchanged: run.result.outputs.unchanged,
        skipped: run.result.outputs.skipped,
        failed: run.result.outputs.failed
      },
      target: tally,
      loop: { ...loopSummary, sourceLog: loopSource, targetLog: loopTargetLog },
      big: copyBig
    }
  }

  let discover: DiscoverMeasurement | undefined
  if (options.discoverVaults > 0) {
    say(
      `action: discover over ${options.discoverVaults} vaults in ${options.discoverSubscriptions} subscriptions (Resource Manager answers after ${options.armLatencyMs} ms)`
    )
    discover = await measureDiscover({
      vaults: options.discoverVaults,
      subscriptions: options.discoverSubscriptions,
      latencyMs: options.armLatencyMs,
      entry
    })
    if (discover.exitCode !== 0) say(`discover did not complete (exit ${discover.exitCode})`)
  }

  let big: Record<string, unknown> | undefined
  let bigPhases: Phases | undefined
  let bigCpu: ActionRun['cpu'] | undefined
  if (options.bigItems > 0) {
    const bigItems = planWorkload(options.bigItems)
    say(`RSS run: seeding ${bigItems.length} items into benchbig (EC keys only)`)
    const bigVault = await testbed.keyvault.addVault({ ...world, name: 'benchbig' })
    const bigSeed = seed(bigVault, bigItems, 0)
    say('RSS run: action backup of benchbig')
    refillBuckets(testbed)
    const run = await measureAction(
      testbed,
      'benchbig',
      actionInputs({ vault: 'benchbig', path: join(work, 'backup-big'), 'artifact-name': 'bench-big' }),
      options.entry && entry
    )
    const b = bound(backupTransactions(bigItems))
    bigPhases = run.phases
    bigCpu = run.cpu
    const bigBackedUp = num(run.result.outputs['backed-up'])
    if (run.result.exitCode !== 0 || bigBackedUp !== bigItems.length) {
      say(
        `big backup did not complete (exit ${run.result.exitCode}, backed-up ${bigBackedUp}):\n${tail(run)}`
      )
      exitCode = 1
    }
    big = {
      items: bigItems.length,
      seedSeconds: bigSeed,
      row: actionRow(
        `action backup, ${bigItems.length} items`,
        bigItems.length,
        run,
        Number.isFinite(bigBackedUp) ? bigItems.length - bigBackedUp : bigItems.length,
        b
      ),
      bound: b,
      exitCode: run.result.exitCode
    }
  }

  const sdkRow = measurement(
    {
      name: 'sequential SDK loop (backup)',
      kind: 'measured',
      items: items.length,
      seconds: sdk.seconds,
      peakRssMb: sdk.peakRssMb,
      throttled: sdkLog.throttled,
      transactions: sdkLog.transactions,
      failures: sdk.exitCode === 0 ? (sdkSummary.failed ?? 0) : items.length - (sdkSummary.backedUp ?? 0)
    },
    bound(loopCounts, 1)
  )
  const azRow = measurement(
    {
      name: `az loop (backup, ${azSubset.length} measured)`,
      kind: 'extrapolated',
      items: items.length,
      seconds: azSeconds,
      peakRssMb: az.peakRssMb,
      throttled: 0,
      transactions: counts.listPages + items.length,
      failures: az.failures,
      note: az.note
    },
    bound(loopCounts, 1)
  )
  const speedups = (seconds: number) => ({
    speedupOverSdkLoop: sdkRow.seconds / seconds,
    speedupOverAzLoop: azRow.seconds / seconds
  })
  const backupRow = actionRow(
    'action backup',
    items.length,
    backup,
    Number.isFinite(backupFailures) ? backupFailures : items.length,
    backupBound,
    speedups(backup.seconds)
  )
  const restoreRow = actionRow(
    'action restore',
    items.length,
    restore,
    Math.max(items.length - restored, Number.isFinite(restoreFailures) ? restoreFailures : 0),
    restoreBound,
    {
      ...speedups(restore.seconds),
      note: restoreAvailable ? undefined : 'restore is not available in this build of the action'
    }
  )
  const directRow = actionRow(
    'action backup, no proxy (keep-alive)',
    items.length,
    direct,
    Number.isFinite(directFailures) ? directFailures : items.length,
    backupBound,
    speedups(direct.seconds)
  )
  const rows = [backupRow, directRow, ...(restoreAvailable ? [restoreRow] : []), sdkRow, azRow]
  if (big) rows.push(big.row as Measurement)

  let profile: ProfileSummary | undefined
  if (options.profile) {
    say('profile: one more backup of prod under node --cpu-prof')
    const dir = resolve(ROOT, options.outDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
    mkdirSync(dir, { recursive: true })
    refillBuckets(testbed)
    await measureAction(
      testbed,
      'prod',
      actionInputs({ vault: 'prod', path: join(work, 'backup-profiled') }),
      options.entry && entry,
      { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` }
    )
    profile = summariseProfile(dir)
  }

  const distBytes = folderBytes(join(ROOT, 'dist'))
  const results = {
    mode: options.mode,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGb: totalmem() / 2 ** 30,
      node: process.version
    },
    options,
    workload: {
      items: items.length,
      perType: {
        secrets: items.filter(i => i.type === 'secrets').length,
        keys: items.filter(i => i.type === 'keys').length,
        certificates: items.filter(i => i.type === 'certificates').length
      },
      versions: items.reduce((sum, i) => sum + i.versions, 0),
      seedSeconds
    },
    concurrency,
    bounds: {
      backup: { ...backupBound, counts },
      restore: { ...restoreBound, counts: restoreTransactions(items) }
    },
    measurements: rows,
    restore: { available: restoreAvailable, exitCode: restore.result.exitCode, itemsInTarget: restored },
    phases: { backup: backup.phases, backupNoProxy: direct.phases, restore: restore.phases, big: bigPhases },
    cpuSeconds: { backup: backup.cpu, backupNoProxy: direct.cpu, restore: restore.cpu, big: bigCpu },
    tunnels: { backup: backup.tunnels, restore: restore.tunnels, sdkLoop: sdkTunnels },
    loadAverage: { start: loadStart, end: loadavg() },
    profile,
    azLoop: az,
    coldStart,
    dist: { bytes: distBytes, largestFile: largestFile(join(ROOT, 'dist')) },
    rss: {
      [`${items.length}`]: backup.peakRssMb,
      ...(big && { [`${(big.row as Measurement).items}`]: (big.row as Measurement).peakRssMb })
    },
    big,
    copy,
    discover,
    totalSeconds: (performance.now() - t0) / 1000
  }

  console.log(
    `\nWorkload: ${items.length} items (${results.workload.perType.secrets} secrets, ${results.workload.perType.keys} keys, ${results.workload.perType.certificates} certificates, ${results.workload.versions} versions); latency ${options.latencyMs} ms + 0-${options.jitterMs} ms; throttle ${options.throttleLimit}/${options.throttleWindowMs / 1000} s per vault; action concurrency ${concurrency}`
  )
  console.log(
    `Bounds, backup: ${backupBound.transactions} transactions -> throttling ${backupBound.throttleSeconds.toFixed(2)} s, latency at concurrency ${concurrency} ${backupBound.latencySeconds.toFixed(2)} s`
  )
  console.log(
    `Bounds, restore: ${restoreBound.transactions} transactions -> throttling ${restoreBound.throttleSeconds.toFixed(2)} s, latency at concurrency ${concurrency} ${restoreBound.latencySeconds.toFixed(2)} s`
  )
  if (!restoreAvailable)
    console.log('Restore: not available in this build of the action (operation: restore refused).')
  console.log(`\n${formatTable(rows)}\n`)
  if (az.available) {
    console.log(
      `az loop: login ${az.loginSeconds.toFixed(2)} s, list call ${az.listCallSeconds.toFixed(2)} s, per item median ${az.perItemMedian.toFixed(2)} s / mean ${az.perItemMean.toFixed(2)} s over ${az.perItemSeconds.length} items`
    )
  } else console.log(`az loop: not measured (${az.note})`)
  console.log(
    `Cold start (spawn -> first request): median ${coldStart.medianMs.toFixed(0)} ms, trials ${coldStart.trials.map(t => t.toFixed(0)).join(', ')} ms`
  )
  console.log(
    `dist/: ${(distBytes / 2 ** 20).toFixed(2)} MiB (largest file ${results.dist.largestFile.name}, ${(results.dist.largestFile.bytes / 2 ** 20).toFixed(2)} MiB)`
  )
  console.log(
    `Peak RSS of the action's backup: ${Object.entries(results.rss)
      .map(([n, mb]) => `${n} items ${mb.toFixed(0)} MB`)
      .join(', ')}`
  )
  const phase = (name: string, p?: Phases, cpu?: ActionRun['cpu']) =>
    p &&
    console.log(
      `${name}: start-up and sign-in ${p.beforeFirstRequest.toFixed(2)} s, vault calls ${p.vaultWork.toFixed(2)} s, after the last call ${p.afterLastRequest.toFixed(2)} s; CPU action ${cpu?.action.toFixed(2)} s, test bed ${cpu?.testbed.toFixed(2)} s`
    )
  console.log(
    `Connections to the vault (proxy tunnels): action backup ${backup.tunnels}, SDK loop ${sdkTunnels}`
  )
  console.log(
    `Load average: start ${loadStart.map(l => l.toFixed(2)).join(' ')}, end ${loadavg()
      .map(l => l.toFixed(2))
      .join(' ')} (other work on this machine skews figures)`
  )
  phase('Phases, backup', backup.phases, backup.cpu)
  phase('Phases, backup without proxy', direct.phases, direct.cpu)
  if (restoreAvailable) phase('Phases, restore', restore.phases, restore.cpu)
  phase('Phases, big backup', bigPhases, bigCpu)
  if (copy) {
    const cb = copy.bound as Bound & { vault: string; perVault: { source: number; target: number } }
    console.log(
      `Copy: ${copyWorkload.secrets} secrets (versions: latest) and ${copyWorkload.certificates} certificates into an empty vault; transactions source ${cb.perVault.source}, target ${cb.perVault.target}; busiest (${cb.vault}) -> throttling ${cb.throttleSeconds.toFixed(2)} s, latency at concurrency ${concurrency} ${cb.latencySeconds.toFixed(2)} s`
    )
    console.log(`\n${formatTable(copyRows)}\n`)
    for (const r of copyRows) if (r.note) console.log(`  ${r.name}: ${r.note}`)
    phase('Phases, copy', copy.phases as Phases | undefined, copy.cpuSeconds as ActionRun['cpu'])
  }
  if (discover) {
    const d = discover
    console.log(
      `Discover: ${d.vaults} vaults in ${d.subscriptions} subscriptions, Resource Manager latency ${d.latencyMs} ms, page size ${d.pageSize}: ` +
        `found ${d.found} of the ${d.readable} the identity may read (${d.readableSubscriptions} of ${d.listedSubscriptions} listed subscriptions readable); ` +
        `${d.vaultPages} pages of vaults, ${d.requestsNeeded} requests needed, ${d.armRequests} made (${d.throttled} throttled); ` +
        `${d.wallSeconds.toFixed(2)} s wall (exit ${d.exitCode}), against ${d.boundSeconds.toFixed(2)} s for the page chains at this latency (${(d.wallSeconds / d.boundSeconds).toFixed(2)}x, start-up and sign-in included)`
    )
  }
  if (profile) {
    console.log(
      `Profile of a backup (${profile.file}): ${profile.totalMs} ms, idle ${profile.idleMs} ms, GC ${profile.gcMs} ms; top self time:`
    )
    for (const e of profile.top.slice(0, 10))
      console.log(
        `  ${String(e.selfMs).padStart(6)} ms ${String(e.percent).padStart(5)}%  ${e.function}  ${e.where}`
      )
  }
  console.log(`Seeding: ${seedSeconds.toFixed(1)} s; whole bench ${results.totalSeconds.toFixed(0)} s`)
  const paths = writeResults(resolve(ROOT, options.outDir), options.mode, results)
  console.log(`JSON: ${paths.join(', ')}`)
} catch (error) {
  console.error(error)
  exitCode = 1
} finally {
  await testbed.stop()
}
process.exit(exitCode)
