/** How a failed call should be treated by the rate controller. */
export type FailureKind =
  | { kind: 'throttled'; retryAfterMs?: number }
  | { kind: 'transient'; retryAfterMs?: number }
  | { kind: 'fatal' }

// Connection-level failures worth another try; the SDK puts Node's error code on RestError.code.
// ECONNREFUSED is left out: it means a wrong host or proxy far more often than a passing hiccup.
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR'
])

interface ErrorShape {
  statusCode?: unknown
  code?: unknown
  response?: { headers?: unknown }
  cause?: unknown
}

/**
 * Classifies an error thrown by an SDK call: 429 is throttling, 408/5xx (not 501) and connection
 * resets are transient, everything else (403, 404, 400, sign-in failures) is fatal.
 */
export function classifyFailure(error: unknown, nowMs: number): FailureKind {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as ErrorShape
  const status = typeof shape.statusCode === 'number' ? shape.statusCode : undefined
  const retryAfterMs = readRetryAfter(shape.response?.headers, nowMs)
  if (status === 429) return { kind: 'throttled', retryAfterMs }
  if (status === 408 || (status !== undefined && status >= 500 && status !== 501 && status !== 505)) {
    return { kind: 'transient', retryAfterMs }
  }
  if (status === undefined && hasTransientCode(shape)) return { kind: 'transient' }
  return { kind: 'fatal' }
}

function hasTransientCode(shape: ErrorShape): boolean {
  if (typeof shape.code === 'string' && TRANSIENT_CODES.has(shape.code)) return true
  const cause = shape.cause as ErrorShape | undefined
  return typeof cause?.code === 'string' && TRANSIENT_CODES.has(cause.code)
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined
  const withGet = headers as { get?: (n: string) => string | undefined | null }
  if (typeof withGet.get === 'function') return withGet.get(name) ?? undefined
  const record = headers as Record<string, unknown>
  const key = Object.keys(record).find(k => k.toLowerCase() === name)
  return key === undefined ? undefined : String(record[key])
}

/**
 * Reads the service's wait hint: `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds) or
 * `Retry-After` (seconds or an HTTP date), the same headers the SDK's own policy honours.
 */
export function readRetryAfter(headers: unknown, nowMs: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(header(headers, name))
    if (header(headers, name) !== undefined && Number.isFinite(value) && value >= 0) return value
  }
  const retryAfter = header(headers, 'retry-after')
  if (retryAfter === undefined) return undefined
  const seconds = Number(retryAfter)
  if (retryAfter.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(retryAfter)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * Exponential backoff with jitter: base 1, 2, 4, 8, 16 s (Microsoft's advice for 429s), capped,
 * each delay drawn from [base/2, base] so parallel workers do not retry in lockstep.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, baseMs * 2 ** attempt)
  return Math.round(base / 2 + (random() * base) / 2)
}
