/** Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, heaviest first. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface ProfileEntry {
  function: string
  where: string
  selfMs: number
  percent: number
}

export interface ProfileSummary {
  file: string
  totalMs: number
  /** Idle (waiting on I/O), program (V8 internals) and garbage collection, in ms. */
  idleMs: number
  gcMs: number
  top: ProfileEntry[]
}

/** Reads the newest .cpuprofile in `dir` and returns its `limit` heaviest functions by self time. */
export function summariseProfile(dir: string, limit = 15): ProfileSummary | undefined {
  const files = readdirSync(dir).filter(f => f.endsWith('.cpuprofile'))
  if (files.length === 0) return undefined
  const file = join(dir, files.sort().pop() as string)
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const grouped = new Map<string, ProfileEntry>()
  let idle = 0
  let gc = 0
  for (const [id, micros] of self) {
    const frame = byId.get(id)?.callFrame
    if (!frame) continue
    const name = frame.functionName || '(anonymous)'
    if (name === '(idle)') idle += micros
    if (name === '(garbage collector)') gc += micros
    const url = frame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')
    const where = url ? `${url}:${frame.lineNumber + 1}` : ''
    const key = `${name} ${where}`
    const entry = grouped.get(key) ?? { function: name, where, selfMs: 0, percent: 0 }
    entry.selfMs += micros / 1000
    grouped.set(key, entry)
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000
  const top = [...grouped.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, limit)
    .map(e => ({ ...e, selfMs: Math.round(e.selfMs), percent: Math.round((1000 * e.selfMs) / totalMs) / 10 }))
  return {
    file,
    totalMs: Math.round(totalMs),
    idleMs: Math.round(idle / 1000),
    gcMs: Math.round(gc / 1000),
    top
  }
}
