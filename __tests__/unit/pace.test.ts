import { createHttpHeaders } from '@azure/core-rest-pipeline'
import { pacePolicy } from '../../src/adapters/policies.js'
import { Pace, RequestPace } from '../../src/core/pace.js'
import { RateController } from '../../src/core/rate.js'
import { FakeClock, restError } from './fakes.js'

/** Starts calls at `times` and returns what tryStart answered for each. */
const tryAll = (pace: Pace, times: number[]) => times.map(t => pace.tryStart(t))

describe('Pace', () => {
  it('lets `ceiling` calls start in any window, then says how long to wait', () => {
    const pace = new Pace(3, 1000)
    expect(tryAll(pace, [0, 100, 200, 300])).toEqual([0, 0, 0, 700])
    expect(tryAll(pace, [1000, 1050, 1099, 1100])).toEqual([0, 50, 1, 0])
  })

  it('after a 429, allows four fifths of what started in the last window', () => {
    const pace = new Pace(100, 1000)
    tryAll(pace, [0, 100, 200])
    tryAll(
      pace,
      Array.from({ length: 30 }, (_, i) => 1000 + i * 10)
    )
    // 30 starts lie in (290, 1290]: four fifths of that is 24 per window from now on.
    pace.throttled(1290)
    expect(pace.perWindow).toBe(24)
    // The 24th latest start was at 1060: the next may start at 2060.
    expect(tryAll(pace, [2000, 2060])).toEqual([60, 0])
  })

  it('never paces below ten per window', () => {
    const pace = new Pace(100, 1000)
    pace.tryStart(0)
    pace.throttled(1)
    expect(pace.perWindow).toBe(10)
  })

  it('grows by a quarter after each whole window without a 429, up to the ceiling', () => {
    const pace = new Pace(100, 1000)
    for (let t = 0; t < 50; t++) pace.tryStart(t)
    pace.throttled(50) // 50 started: 40 allowed
    expect(pace.perWindow).toBe(40)
    pace.succeeded(1000)
    expect(pace.perWindow).toBe(40) // not a whole window yet
    pace.succeeded(1050)
    expect(pace.perWindow).toBe(50)
    pace.succeeded(2050)
    expect(pace.perWindow).toBe(63)
    for (let t = 3050; t < 10_000; t += 1000) pace.succeeded(t)
    expect(pace.perWindow).toBe(100)
  })
})

/**
 * A vault that throttles like Key Vault (a bucket of `limit` requests refilled over `windowMs`),
 * reached as the SDK reaches it: through the pace policy, which sees the 429 answer, after which
 * the client throws.
 */
function throttlingVault(clock: FakeClock, limit: number, windowMs: number) {
  let tokens = limit
  let last = clock.now()
  const stats = { calls: 0, throttled: 0 }
  const policy = pacePolicy(new RequestPace(clock, clock.sleep))
  type Sent = Parameters<typeof policy.sendRequest>
  const send: Sent[1] = async request => {
    const now = clock.now()
    tokens = Math.min(limit, tokens + ((now - last) * limit) / windowMs)
    last = now
    stats.calls++
    const status = tokens < 1 ? 429 : 200
    if (status === 200) tokens--
    else stats.throttled++
    clock.t += 5 // each call takes 5 ms: alone, it would go twice as fast as the vault allows
    return { request, status, headers: createHttpHeaders() }
  }
  const call = async (): Promise<void> => {
    const response = await policy.sendRequest({} as Sent[0], send)
    if (response.status === 429) throw restError(429)
  }
  return { call, stats }
}

describe('rate control and the pace against a vault with a lower limit than the budget', () => {
  it('learns the pace: few 429s, every call done, close to the vault limit (simulated time)', async () => {
    const clock = new FakeClock()
    const start = clock.now()
    // The vault allows 1,000 per 10 s, a quarter of what the budget assumes (as in npm run soak).
    const vault = throttlingVault(clock, 1000, 10_000)
    const rate = new RateController({ concurrency: 8, clock, sleep: clock.sleep, random: () => 0.5 })
    let next = 0
    const worker = async () => {
      while (next++ < 5000) await rate.run(vault.call)
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    const seconds = (clock.now() - start) / 1000
    // 5,000 calls at 100 a second after the first 1,000: 40 s is the floor.
    expect(seconds).toBeGreaterThanOrEqual(40)
    expect(seconds).toBeLessThan(40 * 1.3)
    // Deterministic (fixed jitter): 8 here; 21 when a 429 does not lower the pace.
    expect(vault.stats.throttled).toBeLessThanOrEqual(10)
    expect(rate.stats.throttled).toBe(vault.stats.throttled)
  })
})
