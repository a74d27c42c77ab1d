/**
 * The `az` loop users write today: one `az` process per item. Debian's azure-cli 2.45 ships a broken
 * `az keyvault secret backup` (see testbed/README.md), so each item is an `az rest` POST to the
 * backup endpoint, the blob decoded and written to a file. Run on a subset and extrapolated.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Testbed } from '../index.js'
import { azEnvironment, azLoginArgs } from '../azure-cli.js'
import { median, runMeasured } from './probe.js'
import type { WorkloadItem } from './workload.js'

export interface AzLoopResult {
  available: boolean
  note?: string
  loginSeconds: number
  listCallSeconds: number
  perItemSeconds: number[]
  perItemMedian: number
  perItemMean: number
  peakRssMb: number
  failures: number
}

const AZ = '/usr/bin/az'

/** Signs in once, times one list call, then backs up `items` one `az` process each. */
export async function measureAzLoop(
  testbed: Testbed,
  vault: string,
  items: WorkloadItem[]
): Promise<AzLoopResult> {
  const configDir = mkdtempSync(join(tmpdir(), 'kvb-bench-az-'))
  const outDir = mkdtempSync(join(tmpdir(), 'kvb-bench-az-out-'))
  const env = azEnvironment(testbed, configDir)
  const empty: AzLoopResult = {
    available: false,
    loginSeconds: 0,
    listCallSeconds: 0,
    perItemSeconds: [],
    perItemMedian: 0,
    perItemMean: 0,
    peakRssMb: 0,
    failures: 0
  }
  const app = testbed.layout.apps[0]
  if (!existsSync(AZ)) return { ...empty, note: `${AZ} is not installed` }
  // The secret goes only into argv of a local process; it is never printed.
  const signIn = await runMeasured(
    AZ,
    azLoginArgs(testbed, '--allow-no-subscriptions', '-p', app.clientSecret ?? ''),
    env
  )
  if (signIn.exitCode !== 0) return { ...empty, note: `az login failed: ${signIn.stderr.slice(0, 500)}` }

  const base = `https://${vault}.vault.azure.net`
  const rest = (method: string, url: string) =>
    runMeasured(AZ, ['rest', '--method', method, '--url', url, '--resource', 'https://vault.azure.net'], env)
  const list = await rest('get', `${base}/secrets?api-version=7.4`)
  let peak = Math.max(signIn.peakRssMb, list.peakRssMb)
  const perItem: number[] = []
  let failures = 0
  for (const item of items) {
    const call = await rest('post', `${base}/${item.type}/${item.name}/backup?api-version=7.4`)
    peak = Math.max(peak, call.peakRssMb)
    try {
      if (call.exitCode !== 0) throw new Error(call.stderr)
      const value = (JSON.parse(call.stdout) as { value: string }).value
      writeFileSync(join(outDir, `${item.type}-${item.name}.blob`), Buffer.from(value, 'base64url'))
    } catch {
      failures++
    }
    perItem.push(call.seconds)
  }
  return {
    available: true,
    loginSeconds: signIn.seconds,
    listCallSeconds: list.seconds,
    perItemSeconds: perItem,
    perItemMedian: median(perItem),
    perItemMean: perItem.reduce((a, b) => a + b, 0) / perItem.length,
    peakRssMb: peak,
    failures
  }
}
