/** Runs the built action through the runner harness and measures it: time, peak RSS, transactions, cold start. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runAction, type RunResult } from '../harness.js'
import type { Testbed } from '../index.js'
import { median, RssProbe } from './probe.js'

export interface LogCounts {
  /** Requests the vault answered other than the unauthenticated 401 challenges and 429s. */
  transactions: number
  throttled: number
  challenges: number
}

/** Counts a vault's requests in the emulator's log from index `from` on. */
export function countLog(testbed: Testbed, vault: string, from: number): LogCounts {
  const counts: LogCounts = { transactions: 0, throttled: 0, challenges: 0 }
  for (const entry of testbed.keyvault.requestLog.slice(from)) {
    if (entry.vault !== vault) continue
    if (entry.status === 429) counts.throttled++
    else if (entry.status === 401) counts.challenges++
    else counts.transactions++
  }
  return counts
}

/** Where the wall time went, from the vault's request log (seconds). */
export interface Phases {
  /** Spawn to the first request the vault saw (start-up, sign-in). */
  beforeFirstRequest: number
  /** First to last vault request. */
  vaultWork: number
  /** Last vault request to exit (manifest, artifact upload, summary). */
  afterLastRequest: number
}

export interface ActionRun {
  result: RunResult
  seconds: number
  peakRssMb: number
  /** When the peak RSS was first seen, seconds from the spawn. */
  peakAtSeconds: number
  log: LogCounts
  phases?: Phases
  /** CONNECT tunnels (so TCP and TLS connections) opened to the vault through the proxy. */
  tunnels: number
  /** CPU seconds of the action's process, and of this process (the emulator, proxy, fake Entra). */
  cpu: { action: number; testbed: number }
}

/**
 * Runs dist/index.js (or `entry`) once with these inputs and measures it. `vault` names the vault
 * whose requests, 429s and tunnels are counted; the phases span the requests of `vault` and of
 * `otherVaults` (a copy's target).
 */
export async function measureAction(
  testbed: Testbed,
  vault: string,
  inputs: Record<string, string>,
  entry?: string,
  extraEnv?: Record<string, string>,
  otherVaults: string[] = []
): Promise<ActionRun> {
  const from = testbed.keyvault.requestLog.length
  const proxyFrom = testbed.proxy.log.length
  const cpuBefore = process.cpuUsage()
  let probe: RssProbe | undefined
  let spawnedAt = 0
  const started = performance.now()
  const result = await runAction({
    env: testbed.env,
    inputs,
    entry,
    extraEnv,
    timeoutMs: 900_000,
    onSpawn: child => {
      spawnedAt = testbed.clock.now()
      probe = new RssProbe(child.pid ?? 0)
    }
  })
  const exitedAt = testbed.clock.now()
  const seconds = (performance.now() - started) / 1000
  const times = testbed.keyvault.requestLog
    .slice(from)
    .filter(e => e.vault === vault || otherVaults.includes(e.vault))
    .map(e => e.time)
  const phases =
    times.length > 0
      ? {
          beforeFirstRequest: (times[0] - spawnedAt) / 1000,
          vaultWork: (times[times.length - 1] - times[0]) / 1000,
          afterLastRequest: (exitedAt - times[times.length - 1]) / 1000
        }
      : undefined
  const cpu = process.cpuUsage(cpuBefore)
  const peakRssMb = probe?.stop() ?? 0
  return {
    result,
    seconds,
    peakRssMb,
    peakAtSeconds: probe?.peakAtSeconds ?? 0,
    log: countLog(testbed, vault, from),
    phases,
    tunnels: testbed.proxy.log.slice(proxyFrom).filter(e => e.host === `${vault}.vault.azure.net`).length,
    cpu: { action: probe?.cpuSeconds ?? 0, testbed: (cpu.user + cpu.system) / 1e6 }
  }
}

export interface ColdStart {
  trials: number[]
  medianMs: number
  /** What the first request was. */
  firstRequest: string
}

/**
 * Cold start: from spawning `node dist/index.js` to its first request, which is the OIDC token
 * request to the runner's ACTIONS_ID_TOKEN_REQUEST_URL. A pass-through server in front of the fake
 * GitHub stamps its arrival. Each trial is a dry run on an empty vault.
 */
export async function measureColdStart(
  testbed: Testbed,
  vault: string,
  trials: number,
  entry?: string
): Promise<ColdStart> {
  const target = new URL(testbed.env.ACTIONS_ID_TOKEN_REQUEST_URL)
  let firstArrival: number | undefined
  const stamp = createServer((req: IncomingMessage, res: ServerResponse) => {
    firstArrival ??= performance.now()
    const url = new URL(req.url ?? '/', target)
    fetch(url, { headers: { authorization: req.headers.authorization ?? '' } })
      .then(async upstream => {
        res.writeHead(upstream.status, { 'content-type': 'application/json' })
        res.end(await upstream.text())
      })
      .catch(() => res.destroy())
  })
  await new Promise<void>(done => stamp.listen(0, '127.0.0.1', done))
  const port = (stamp.address() as AddressInfo).port
  const stamped = `http://127.0.0.1:${port}${target.pathname}${target.search}`
  const results: number[] = []
  try {
    for (let i = 0; i < trials; i++) {
      firstArrival = undefined
      let spawnedAt = 0
      const result = await runAction({
        env: testbed.env,
        extraEnv: { ACTIONS_ID_TOKEN_REQUEST_URL: stamped },
        inputs: { vault, 'dry-run': 'true' },
        entry,
        onSpawn: () => (spawnedAt = performance.now())
      })
      if (result.exitCode !== 0 || firstArrival === undefined) {
        throw new Error(`cold start trial failed (exit ${result.exitCode}):\n${result.log.slice(-2000)}`)
      }
      results.push(firstArrival - spawnedAt)
    }
  } finally {
    await new Promise<void>(done => stamp.close(() => done()))
  }
  return { trials: results, medianMs: median(results), firstRequest: 'OIDC token request (GitHub)' }
}
