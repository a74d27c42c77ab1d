/**
 * `npx tsx testbed/bench/copy-trace.ts [secrets] [certificates]` (default 1000 and 50): one copy by
 * the built action into an empty vault, on the bench's settings (25 ms + 0-10 ms latency, 4,000
 * transactions per 10 s per vault), then the time line of both vaults' requests by operation (first
 * and last request, seconds from the spawn), the CPU seconds of the action and the test bed, and the
 * tunnels opened per host. The diagnostic behind docs/performance.md's "what dominates" for copy;
 * not part of the bench's figures.
 *
 * Environment: ENTRY another build of the action (default dist/index.js); CONCURRENCY the action's
 * input; PROFILE a folder for `node --cpu-prof` profiles of the action; LATENCY `fixed/jitter` in ms
 * (default 25/10; 0/0 shows how far the test bed's CPU alone holds the copy back).
 */
import { loadavg } from 'node:os'
import { startTestbed } from '../index.js'
import { measureAction } from './action.js'
import { seedCopyWorkload } from './copy.js'

const [secrets = 1000, certificates = 50] = process.argv.slice(2).map(Number)
const [fixedMs = 25, jitterMs = 10] = (process.env.LATENCY ?? '').split('/').filter(Boolean).map(Number)
const testbed = await startTestbed({
  behaviour: { latency: { fixedMs, jitterMs }, throttle: { limit: 4000, windowMs: 10_000 } }
})
try {
  const prod = testbed.keyvault.vault('prod')
  const world = { ...prod.config, roleAssignments: prod.config.roleAssignments }
  const source = await testbed.keyvault.addVault({ ...world, name: 'copysrc' })
  seedCopyWorkload(source, { secrets, certificates })
  await testbed.keyvault.addVault({ ...world, name: 'copytarget' })
  const from = testbed.keyvault.requestLog.length
  const proxyFrom = testbed.proxy.log.length
  const t0 = testbed.clock.now()
  const run = await measureAction(
    testbed,
    'copysrc',
    {
      operation: 'copy',
      vault: 'copysrc',
      'target-vault': 'copytarget',
      ...(process.env.CONCURRENCY && { concurrency: process.env.CONCURRENCY })
    },
    process.env.ENTRY,
    process.env.PROFILE ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.PROFILE}` } : undefined,
    ['copytarget']
  )
  const log = testbed.keyvault.requestLog.slice(from)
  const kind = (e: (typeof log)[number]) =>
    `${e.vault} ${e.method} ${e.operation ?? e.path.split('/').slice(0, 2).join('/')}`
  const groups = new Map<string, { n: number; first: number; last: number }>()
  for (const e of log) {
    const k = kind(e)
    const g = groups.get(k) ?? { n: 0, first: e.time, last: e.time }
    g.n++
    g.first = Math.min(g.first, e.time)
    g.last = Math.max(g.last, e.time)
    groups.set(k, g)
  }
  console.log(
    `exit ${run.result.exitCode}, ${run.seconds.toFixed(2)} s, rss ${run.peakRssMb.toFixed(0)} MB, cpu ${JSON.stringify(run.cpu)}, load ${loadavg()[0].toFixed(1)}, phases ${JSON.stringify(run.phases)}`
  )
  for (const [k, g] of [...groups].sort((a, b) => a[1].first - b[1].first))
    console.log(
      `${k.padEnd(50)} n=${String(g.n).padStart(5)} from ${((g.first - t0) / 1000).toFixed(2)} to ${((g.last - t0) / 1000).toFixed(2)} s`
    )
  const tunnels = new Map<string, number>()
  for (const e of testbed.proxy.log.slice(proxyFrom)) tunnels.set(e.host, (tunnels.get(e.host) ?? 0) + 1)
  console.log(`tunnels: ${[...tunnels].map(([host, n]) => `${host} ${n}`).join(', ')}`)
  if (run.result.exitCode !== 0) console.log(run.result.log.slice(-3000))
} finally {
  await testbed.stop()
}
process.exit(0)
