/** Reproducible randomness for latency, injected faults and the asynchronous windows. */

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type Fault = 'none' | '503' | '500' | 'reset'

export interface FaultSettings {
  p503: number
  p500: number
  pReset: number
  seed: number
}

/** Draws faults from a PRNG that restarts whenever the configured seed changes. */
export class FaultInjector {
  private seed: number | undefined
  private random: () => number = Math.random

  /** One draw per request: which fault (if any) to inject. */
  draw(settings: FaultSettings): Fault {
    if (settings.p503 <= 0 && settings.p500 <= 0 && settings.pReset <= 0) return 'none'
    if (settings.seed !== this.seed) {
      this.seed = settings.seed
      this.random = seededRandom(settings.seed)
    }
    const r = this.random()
    if (r < settings.p503) return '503'
    if (r < settings.p503 + settings.p500) return '500'
    if (r < settings.p503 + settings.p500 + settings.pReset) return 'reset'
    return 'none'
  }
}

/** A value in [min, max] from `random`. */
export function within([min, max]: [number, number], random: () => number): number {
  return Math.round(min + (Math.max(min, max) - min) * random())
}
