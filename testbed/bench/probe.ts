/** Measuring child processes: peak RSS from /proc, wall time, and the size of a folder. */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Polls a process's VmHWM (its peak resident set size, kept by the kernel) until stopped. The
 * high-water mark only grows, so the last read is the peak up to that moment; a 20 ms period misses
 * at most the last few ms of the process's life.
 */
export class RssProbe {
  private peakKb = 0
  private peakAt = 0
  private readonly started = performance.now()
  private cpuTicks = 0
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly pid: number,
    periodMs = 20
  ) {
    this.read()
    this.timer = setInterval(() => this.read(), periodMs)
  }

  /** Reads once more (the process may still be a zombie) and stops polling. Returns the peak in MB. */
  stop(): number {
    this.read()
    clearInterval(this.timer)
    return this.peakKb / 1024
  }

  /** When the peak was first seen, in seconds from the probe's start (to within the period). */
  get peakAtSeconds(): number {
    return this.peakAt / 1000
  }

  /** User plus system CPU seconds of the process, as last read (USER_HZ is 100 on Linux). */
  get cpuSeconds(): number {
    return this.cpuTicks / 100
  }

  /** Reads VmHWM now; harmless once the process is gone. */
  read(): void {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8')
      const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)
      if (match && Number(match[1]) > this.peakKb) {
        this.peakKb = Number(match[1])
        this.peakAt = performance.now() - this.started
      }
      // Fields after the command name: state is field 3, utime 14 and stime 15.
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      this.cpuTicks = Math.max(this.cpuTicks, Number(fields[11]) + Number(fields[12]))
    } catch {
      // the process has exited and been reaped
    }
  }
}

export interface ChildRun {
  exitCode: number | null
  stdout: string
  stderr: string
  seconds: number
  peakRssMb: number
}

/** Runs a command to completion, measuring wall time and peak RSS. */
export async function runMeasured(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 600_000
): Promise<ChildRun> {
  const started = performance.now()
  const child = spawn(command, args, { env })
  const probe = new RssProbe(child.pid ?? 0)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const exitCode = await new Promise<number | null>(done => child.on('close', code => done(code)))
  clearTimeout(timer)
  return { exitCode, stdout, stderr, seconds: (performance.now() - started) / 1000, peakRssMb: probe.stop() }
}

/** Total size in bytes of the regular files under a folder. */
export function folderBytes(path: string): number {
  let sum = 0
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) sum += folderBytes(full)
    else if (entry.isFile()) sum += statSync(full).size
  }
  return sum
}

/** The largest file directly in a folder (for dist/, one of the bundle's chunks). */
export function largestFile(path: string): { name: string; bytes: number } {
  let largest = { name: '', bytes: 0 }
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const bytes = entry.isFile() ? statSync(join(path, entry.name)).size : 0
    if (bytes > largest.bytes) largest = { name: entry.name, bytes }
  }
  return largest
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
