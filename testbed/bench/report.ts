/** The benchmark's result shapes, the printed table and the JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Bound {
  /** Transactions the operation needs (see docs/performance.md). */
  transactions: number
  /** transactions / (limit / window): the throttling bound. */
  throttleSeconds: number
  /** transactions x mean latency / concurrency: the latency bound at the concurrency used. */
  latencySeconds: number
  concurrency: number
}

export interface Measurement {
  name: string
  /** 'measured', or 'extrapolated' from a subset (the az loop). */
  kind: 'measured' | 'extrapolated'
  items: number
  seconds: number
  itemsPerSecond: number
  /** seconds / throttling bound. */
  ratioToThrottleBound: number
  /** seconds / max(throttling bound, latency bound). */
  ratioToBound: number
  speedupOverSdkLoop?: number
  speedupOverAzLoop?: number
  peakRssMb: number
  throttled: number
  transactions: number
  failures: number
  note?: string
}

/** Fills the derived fields of a measurement. */
export function measurement(
  base: Omit<Measurement, 'itemsPerSecond' | 'ratioToThrottleBound' | 'ratioToBound'>,
  bound: Bound
): Measurement {
  return {
    ...base,
    itemsPerSecond: base.items / base.seconds,
    ratioToThrottleBound: base.seconds / bound.throttleSeconds,
    ratioToBound: base.seconds / Math.max(bound.throttleSeconds, bound.latencySeconds)
  }
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits)

/** The results as a plain-text table (also valid Markdown). */
export function formatTable(rows: Measurement[]): string {
  const header = [
    'measurement',
    'items',
    'seconds',
    'items/s',
    'x throttle bound',
    'x bound',
    'vs SDK loop',
    'vs az loop',
    'peak RSS MB',
    '429s',
    'transactions',
    'failures'
  ]
  const lines = rows.map(r => [
    r.kind === 'extrapolated' ? `${r.name} (extrapolated)` : r.name,
    String(r.items),
    fixed(r.seconds, 2),
    fixed(r.itemsPerSecond, 1),
    fixed(r.ratioToThrottleBound, 2),
    fixed(r.ratioToBound, 2),
    r.speedupOverSdkLoop === undefined ? '-' : `${fixed(r.speedupOverSdkLoop, 1)}x`,
    r.speedupOverAzLoop === undefined ? '-' : `${fixed(r.speedupOverAzLoop, 1)}x`,
    fixed(r.peakRssMb, 0),
    String(r.throttled),
    String(r.transactions),
    String(r.failures)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map(l => l[i].length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  return [row(header), `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n')
}

/** Writes the results as JSON into `dir` (a timestamped file and latest-<mode>.json); returns the paths. */
export function writeResults(dir: string, mode: string, results: unknown): string[] {
  mkdirSync(dir, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const paths = [join(dir, `bench-${mode}-${stamp}.json`), join(dir, `latest-${mode}.json`)]
  for (const path of paths) writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`)
  return paths
}
