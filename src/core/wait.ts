import type { Clock, Sleep } from './types.js'

/** How long and how often to poll through one of the service's asynchronous windows. */
export interface PollSettings {
  clock: Clock
  sleep: Sleep
  /** Give up after this long (the service's windows are seconds; a minute or two is generous). */
  timeoutMs: number
  /** First interval; it grows by half each round up to `maxIntervalMs`. */
  intervalMs: number
  maxIntervalMs: number
}

/** The defaults for production: first check after 250 ms, then up to every 2 s, for at most 2 minutes. */
export function defaultPollSettings(clock: Clock, sleep: Sleep): PollSettings {
  return { clock, sleep, timeoutMs: 120_000, intervalMs: 250, maxIntervalMs: 2000 }
}

/** Thrown when a bounded wait runs out. */
export class WaitTimeoutError extends Error {}

/**
 * Polls `check` until it returns a value other than undefined, sleeping between rounds with the
 * injected sleep, bounded by the injected clock. Throws `WaitTimeoutError` naming `what` on timeout.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  settings: PollSettings
): Promise<T> {
  const deadline = settings.clock.now() + settings.timeoutMs
  let interval = settings.intervalMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (settings.clock.now() >= deadline) {
      throw new WaitTimeoutError(
        `timed out after ${Math.round(settings.timeoutMs / 1000)} s waiting for ${what}`
      )
    }
    await settings.sleep(interval)
    interval = Math.min(settings.maxIntervalMs, Math.round(interval * 1.5))
  }
}
