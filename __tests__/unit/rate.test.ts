import { createHttpHeaders } from '@azure/core-rest-pipeline'
import { pacePolicy } from '../../src/adapters/policies.js'
import { RequestPace, VAULT_BUDGET } from '../../src/core/pace.js'
import { RateController } from '../../src/core/rate.js'
import { backoffDelay, classifyFailure, readRetryAfter } from '../../src/core/retry.js'
import { FakeClock, restError } from './fakes.js'

const NOW = Date.parse('2026-11-28T12:00:00Z')

describe('classifyFailure', () => {
  it.each([
    ['429', 'throttled', restError(429)],
    ['503', 'transient', restError(503)],
    ['500', 'transient', restError(500)],
    ['408', 'transient', restError(408)],
    ['501', 'fatal', restError(501)],
    ['403', 'fatal', restError(403)],
    ['404', 'fatal', restError(404)],
    ['ECONNRESET', 'transient', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['cause ETIMEDOUT', 'transient', Object.assign(new Error('x'), { cause: { code: 'ETIMEDOUT' } })],
    ['plain error', 'fatal', new Error('boom')],
    ['string', 'fatal', 'boom'],
    ['null', 'fatal', null]
  ])('%s is %s', (_, kind, error) => {
    expect(classifyFailure(error, NOW).kind).toBe(kind)
  })

  it('carries Retry-After on a 429', () => {
    expect(classifyFailure(restError(429, 'slow down', { 'retry-after': '7' }), NOW)).toEqual({
      kind: 'throttled',
      retryAfterMs: 7000
    })
  })
})

describe('readRetryAfter', () => {
  it.each([
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': '0' }, 0],
    [{ 'Retry-After': '2' }, 2000],
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'x-ms-retry-after-ms': '1500' }, 1500],
    [{ 'retry-after': 'Sat, 28 Nov 2026 12:00:05 GMT' }, 5000],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined]
  ])('%j -> %s', (headers, expected) => {
    expect(readRetryAfter(headers, NOW)).toBe(expected)
  })
})

describe('backoffDelay', () => {
  it.each([
    [0, 0, 500],
    [0, 0.999999, 1000],
    [1, 0, 1000],
    [3, 1 - 1e-9, 8000],
    [4, 0.5, 12000],
    [9, 0, 8000] // capped at 16 s base
  ])('attempt %d, random %d -> %d ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, 1000, 16000, () => random)).toBe(expected)
  })
})

function controller(clock: FakeClock, concurrency = 4, random = () => 0.5) {
  return new RateController({ concurrency, clock, sleep: clock.sleep, random })
}

describe('RateController retries', () => {
  it('honours Retry-After on a 429', async () => {
    const clock = new FakeClock()
    const rate = controller(clock)
    let calls = 0
    const result = await rate.run(async () => {
      if (calls++ === 0) throw restError(429, 'throttled', { 'retry-after': '9' })
      return 'ok'
    })
    expect(result).toBe('ok')
    expect(clock.sleeps).toEqual([9000])
    expect(rate.stats.throttled).toBe(1)
  })

  it('backs off exponentially with jitter when a 429 carries no Retry-After', async () => {
    const clock = new FakeClock()
    const rate = controller(clock, 4, () => 0)
    let calls = 0
    await rate.run(async () => {
      if (calls++ < 4) throw restError(429)
      return 'ok'
    })
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000])
  })

  it('retries 503 and connection resets a bounded number of times', async () => {
    const clock = new FakeClock()
    const rate = new RateController({ concurrency: 2, clock, sleep: clock.sleep, maxTransientRetries: 3 })
    let calls = 0
    const failure = await rate
      .run(async () => {
        calls++
        throw calls % 2 ? restError(503) : Object.assign(new Error('reset'), { code: 'ECONNRESET' })
      })
      .catch((e: unknown) => e)
    expect(calls).toBe(4)
    expect((failure as Error).message).toBe('reset')
  })

  it('does not retry fatal errors', async () => {
    const clock = new FakeClock()
    const rate = controller(clock)
    let calls = 0
    await expect(
      rate.run(async () => {
        calls++
        throw restError(403, 'forbidden')
      })
    ).rejects.toThrow('forbidden')
    expect(calls).toBe(1)
    expect(clock.sleeps).toEqual([])
  })

  it('caps a huge Retry-After', async () => {
    const clock = new FakeClock()
    const rate = controller(clock)
    let calls = 0
    await rate.run(async () => {
      if (calls++ === 0) throw restError(429, 'x', { 'retry-after': '100000' })
      return 1
    })
    expect(clock.sleeps).toEqual([120000])
  })
})

describe('the pace, counted per HTTP request by the pipeline policy', () => {
  type Sent = Parameters<ReturnType<typeof pacePolicy>['sendRequest']>
  const request = { url: 'https://prod.vault.azure.net/secrets', method: 'GET' } as unknown as Sent[0]
  const answer =
    (status: number): Sent[1] =>
    async req => ({ request: req, status, headers: createHttpHeaders() })

  it('starts at most budget.requests requests in any window, pacing the rest', async () => {
    const clock = new FakeClock()
    const t0 = clock.t
    const policy = pacePolicy(new RequestPace(clock, clock.sleep, { requests: 5, windowMs: 1000 }))
    const starts: number[] = []
    const next: Sent[1] = async req => {
      starts.push(clock.t - t0)
      return answer(200)(req)
    }
    for (let i = 0; i < 12; i++) await policy.sendRequest(request, next)
    expect(starts).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000, 2000])
  })

  it('counts every request of one call: a poller that sends three requests spends three', async () => {
    const clock = new FakeClock()
    const pace = new RequestPace(clock, clock.sleep, { requests: 4, windowMs: 60_000 })
    const policy = pacePolicy(pace)
    const rate = new RateController({ concurrency: 1, clock, sleep: clock.sleep })
    const t0 = clock.t
    const starts: number[] = []
    const next: Sent[1] = async req => {
      starts.push(clock.t - t0)
      return answer(200)(req)
    }
    const pollerCall = () =>
      rate.run(async () => {
        for (let i = 0; i < 3; i++) await policy.sendRequest(request, next)
      })
    await pollerCall()
    await pollerCall()
    expect(pace.stats.requests).toBe(6)
    // The fifth request waits for the first to leave the window.
    expect(starts).toEqual([0, 0, 0, 0, 60_000, 60_000])
  })

  it("defaults to a tenth under Key Vault's 4,000 per 10 s", async () => {
    const clock = new FakeClock()
    const t0 = clock.t
    const policy = pacePolicy(new RequestPace(clock, clock.sleep))
    const starts: number[] = []
    const next: Sent[1] = async req => {
      starts.push(clock.t - t0)
      return answer(200)(req)
    }
    for (let i = 0; i < 3601; i++) await policy.sendRequest(request, next)
    expect(VAULT_BUDGET).toEqual({ requests: 3600, windowMs: 10_000 })
    expect(starts.filter(t => t === 0)).toHaveLength(3600)
    expect(starts.at(-1)).toBe(10_000)
  })

  it('lowers the pace once per burst of 429s, to four fifths of the last window', async () => {
    const clock = new FakeClock()
    const pace = new RequestPace(clock, clock.sleep, { requests: 100, windowMs: 10_000 })
    const policy = pacePolicy(pace)
    for (let i = 0; i < 50; i++) await policy.sendRequest(request, answer(200))
    // Three requests in flight when the vault starts refusing: one overload, one decrease.
    let release!: () => void
    const gate = new Promise<void>(resolve => (release = resolve))
    const refused: Sent[1] = async req => {
      await gate
      return answer(429)(req)
    }
    const burst = Promise.all([1, 2, 3].map(() => policy.sendRequest(request, refused)))
    release()
    await burst
    expect(pace.perWindow).toBe(Math.floor(53 * 0.8))
    expect(pace.stats).toEqual({ requests: 53, throttled: 3 })
  })
})

describe('the pace lowers at most once a second', () => {
  it('a second 429 within a second of the first leaves the pace; one a second later lowers it again', async () => {
    const clock = new FakeClock()
    const t0 = clock.t
    const pace = new RequestPace(clock, clock.sleep, { requests: 100, windowMs: 10_000 })
    // One start every 100 ms for 10 s: a full window, never waiting.
    for (let i = 0; i < 100; i++) {
      clock.t = t0 + i * 100
      await pace.start()
    }
    const seen: number[] = []
    for (const at of [9900, 10_400, 10_900]) {
      clock.t = t0 + at
      pace.answered(429)
      seen.push(pace.perWindow)
    }
    // 100 starts in the window -> 80. At +0.5 s, 95 starts would give 76 but the cooldown holds 80;
    // at +1 s, 90 starts in the window -> 72.
    expect(seen).toEqual([80, 80, 72])
    expect(clock.sleeps).toEqual([])
  })
})

describe('RateController concurrency', () => {
  it('never runs more calls than the limit', async () => {
    const clock = new FakeClock()
    const rate = controller(clock, 3)
    let active = 0
    let peak = 0
    const call = async (): Promise<void> => {
      active++
      peak = Math.max(peak, active)
      await new Promise(resolve => setImmediate(resolve))
      active--
    }
    await Promise.all(Array.from({ length: 20 }, () => rate.run(call)))
    expect(peak).toBe(3)
  })

  it("lets a listing's next page pass the calls already waiting for a slot", async () => {
    const rate = controller(new FakeClock(), 1)
    const order: string[] = []
    let release: (() => void) | undefined
    const first = rate.run(() => new Promise<void>(resolve => (release = resolve)))
    const waiting = ['a', 'b', 'c'].map(name => rate.run(async () => void order.push(name)))
    const page = rate.run(async () => void order.push('page'), { ahead: true })
    while (!release) await new Promise(resolve => setImmediate(resolve))
    release()
    await Promise.all([first, ...waiting, page])
    expect(order).toEqual(['page', 'a', 'b', 'c'])
  })

  it('halves on throttling (once per burst) and grows back after successes', async () => {
    const clock = new FakeClock()
    const rate = controller(clock, 8)
    let throttle = 4
    const call = async (): Promise<void> => {
      await new Promise(resolve => setImmediate(resolve))
      if (throttle > 0) {
        throttle--
        throw restError(429, 'throttled', { 'retry-after': '1' })
      }
    }
    await Promise.all(Array.from({ length: 8 }, () => rate.run(call)))
    // Four 429s within one cooldown window: one halving, not four.
    expect(rate.concurrency).toBeGreaterThanOrEqual(4)
    expect(rate.concurrency).toBeLessThan(8)
    await Promise.all(Array.from({ length: 100 }, () => rate.run(async () => undefined)))
    expect(rate.concurrency).toBe(8)
  })

  it('completes every call under a sustained storm', async () => {
    const clock = new FakeClock()
    const rate = controller(clock, 8, () => 0.3)
    let served = 0
    // A bucket that admits one call per simulated second.
    let nextFree = clock.now()
    const call = async (): Promise<number> => {
      await new Promise(resolve => setImmediate(resolve))
      if (clock.now() < nextFree) throw restError(429)
      nextFree = clock.now() + 1000
      return ++served
    }
    const results = await Promise.all(Array.from({ length: 30 }, () => rate.run(call)))
    expect(results).toHaveLength(30)
    expect(served).toBe(30)
    expect(rate.stats.throttled).toBeGreaterThan(0)
  })
})

/**
 * The figures the README documents, each through a RateController built with its defaults (only the
 * clock, the sleep and the jitter's random injected): backoff 1, 2, 4, 8, 16 s with jitter from half
 * to full, 12 retries after a 429, 8 after a 5xx or a reset, Retry-After honoured up to 120 s.
 */
describe('the documented retry figures', () => {
  /** Runs a call that always fails with `error`; returns how often it was tried, the sleeps and the error. */
  async function alwaysFailing(error: () => unknown, random: () => number) {
    const clock = new FakeClock()
    const rate = controller(clock, 4, random)
    let tries = 0
    const thrown = await rate
      .run(async () => {
        tries++
        throw error()
      })
      .then(
        () => undefined,
        (e: unknown) => e
      )
    return { tries, sleeps: clock.sleeps, thrown }
  }

  const LOW = [500, 1000, 2000, 4000, 8000]
  const HIGH = [1000, 2000, 4000, 8000, 16000]

  it('a 429 without Retry-After gives up after 12 retries (13 tries), backing off from half of 1, 2, 4, 8, 16 s', async () => {
    const { tries, sleeps, thrown } = await alwaysFailing(
      () => restError(429, 'still throttled'),
      () => 0
    )
    expect(tries).toBe(13)
    expect(sleeps).toEqual([...LOW, ...Array(7).fill(8000)])
    expect((thrown as Error).message).toBe('still throttled')
  })

  it('the jitter reaches up to the full 1, 2, 4, 8, 16 s, never beyond 16 s', async () => {
    const { tries, sleeps } = await alwaysFailing(
      () => restError(429),
      () => 1 - 1e-9
    )
    expect(tries).toBe(13)
    expect(sleeps).toEqual([...HIGH, ...Array(7).fill(16000)])
  })

  it.each([
    ['503', () => restError(503, 'unavailable')],
    ['500', () => restError(500, 'unavailable')],
    ['502', () => restError(502, 'unavailable')],
    ['504', () => restError(504, 'unavailable')],
    ['408', () => restError(408, 'unavailable')],
    ['ECONNRESET', () => Object.assign(new Error('unavailable'), { code: 'ECONNRESET' })],
    ['ETIMEDOUT', () => Object.assign(new Error('unavailable'), { code: 'ETIMEDOUT' })],
    ['a reset in the cause', () => Object.assign(new Error('unavailable'), { cause: { code: 'ECONNRESET' } })]
  ])('%s gives up after 8 retries (9 tries)', async (_title, error) => {
    const { tries, sleeps, thrown } = await alwaysFailing(error, () => 0)
    expect(tries).toBe(9)
    expect(sleeps).toEqual([...LOW, 8000, 8000, 8000])
    expect((thrown as Error).message).toBe('unavailable')
  })

  it.each([
    ['400', 400],
    ['401', 401],
    ['403', 403],
    ['404', 404],
    ['409', 409],
    ['501', 501],
    ['505', 505]
  ])('%s is never retried', async (_title, status) => {
    const { tries, sleeps } = await alwaysFailing(
      () => restError(status),
      () => 0
    )
    expect(tries).toBe(1)
    expect(sleeps).toEqual([])
  })

  it('a 408 is retried, then succeeds', async () => {
    const clock = new FakeClock()
    const rate = controller(clock, 4, () => 0)
    let tries = 0
    const result = await rate.run(async () => {
      if (tries++ === 0) throw restError(408)
      return 'ok'
    })
    expect(result).toBe('ok')
    expect(tries).toBe(2)
    expect(clock.sleeps).toEqual([500])
  })

  const inSeconds = (s: number) => new Date(new FakeClock().now() + s * 1000).toUTCString()
  it.each([
    ['Retry-After in seconds', { 'retry-after': '30' }, 30_000],
    ['Retry-After of exactly 120 s', { 'retry-after': '120' }, 120_000],
    ['Retry-After of 121 s, capped', { 'retry-after': '121' }, 120_000],
    ['Retry-After as an HTTP date', { 'retry-after': inSeconds(45) }, 45_000],
    ['Retry-After as an HTTP date an hour away, capped', { 'retry-after': inSeconds(3600) }, 120_000],
    ['retry-after-ms', { 'retry-after-ms': '750' }, 750],
    ['retry-after-ms beyond the cap', { 'retry-after-ms': '600000' }, 120_000],
    ['x-ms-retry-after-ms', { 'x-ms-retry-after-ms': '2500' }, 2500],
    ['x-ms-retry-after-ms beyond the cap', { 'x-ms-retry-after-ms': '120001' }, 120_000]
  ])('a 429 with %s waits exactly that long', async (_title, headers, expected) => {
    const clock = new FakeClock()
    // Jitter at its top: a backoff could not produce these figures by accident.
    const rate = controller(clock, 4, () => 1 - 1e-9)
    let tries = 0
    await rate.run(async () => {
      if (tries++ === 0) throw restError(429, 'throttled', headers)
      return 'ok'
    })
    expect(clock.sleeps).toEqual([expected])
  })

  it('honours Retry-After on a 503 as well', async () => {
    const clock = new FakeClock()
    const rate = controller(clock, 4, () => 0)
    let tries = 0
    await rate.run(async () => {
      if (tries++ < 2) throw restError(503, 'busy', { 'retry-after': '7' })
      return 'ok'
    })
    expect(clock.sleeps).toEqual([7000, 7000])
  })
})

/**
 * A clock on which concurrent sleeps overlap, as real ones do (FakeClock adds each sleep to one shared
 * time, so four workers sleeping 1 s would move it 4 s): a sleep ends at its own wake-up time.
 */
class OverlappingClock {
  t = 1_700_000_000_000
  now = (): number => this.t
  sleep = async (ms: number): Promise<void> => {
    const wake = this.t + ms
    await new Promise(resolve => setImmediate(resolve))
    this.t = Math.max(this.t, wake)
  }
}

describe('one halving of concurrency per burst of 429s', () => {
  it('a burst of 429s from one overload halves the concurrency once; a later burst halves it again', async () => {
    const clock = new OverlappingClock()
    const seen: number[] = []
    const rate = new RateController({
      concurrency: 8,
      clock,
      sleep: clock.sleep,
      random: () => 0,
      onRetry: e => seen.push(e.concurrency)
    })
    let refusals = 0
    const call = async (): Promise<void> => {
      await new Promise(resolve => setImmediate(resolve))
      if (refusals > 0) {
        refusals--
        throw restError(429, 'throttled', { 'retry-after': '1' })
      }
    }
    refusals = 4
    await Promise.all(Array.from({ length: 8 }, () => rate.run(call)))
    // Four 429s at one instant: 8 -> 4 once (a halving per 429 would give 4, 2, 1, 1).
    expect(seen).toEqual([4, 4, 4, 4])
    // Four successes at four slots added one back.
    const before = rate.concurrency
    expect(before).toBe(5)
    seen.length = 0
    refusals = 2
    await Promise.all(Array.from({ length: before }, () => rate.run(call)))
    expect(seen).toEqual([Math.floor(before / 2), Math.floor(before / 2)])
  })
})
