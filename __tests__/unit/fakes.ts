import type { VaultReader, BlobSink } from '../../src/core/backup.js'
import { sha256Hex } from '../../src/core/manifest.js'
import type { Page } from '../../src/core/paging.js'
import type { Clock, ItemType, Logger, VaultItem } from '../../src/core/types.js'

/** A clock whose sleep advances time instantly, yielding to let other workers run. */
export class FakeClock implements Clock {
  t = 1_700_000_000_000
  readonly sleeps: number[] = []
  now(): number {
    return this.t
  }
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms)
    this.t += ms
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** An error shaped like the SDK's RestError. */
export function restError(
  statusCode: number,
  message = `status ${statusCode}`,
  headers: Record<string, string> = {}
) {
  return Object.assign(new Error(message), {
    name: 'RestError',
    statusCode,
    code: statusCode === 429 ? 'Throttled' : undefined,
    response: { headers: { get: (n: string) => headers[n.toLowerCase()] } }
  })
}

export function item(type: ItemType, name: string, extra: Partial<VaultItem> = {}): VaultItem {
  return { type, name, enabled: true, managed: false, tags: {}, ...extra }
}

type Failure = () => unknown

/**
 * An in-memory vault: items, version counts, and scripted failures per call. Listings come in pages
 * of `pageSize`; the continuation token is the offset, and a continuation call is recorded as
 * `list:type@offset` (the first page as `list:type`).
 */
export class FakeVault implements VaultReader {
  readonly calls: string[] = []
  readonly versions = new Map<string, number>()
  /** Key `op:type/name`, `list:type` or `list:type@offset`: errors thrown on successive calls before succeeding. */
  readonly failures = new Map<string, Failure[]>()
  inFlight = 0
  maxInFlight = 0
  pageSize = 25
  /** Like the service sometimes: the first page of a listing is empty, with a continuation. */
  emptyFirstPage = false

  constructor(readonly items: VaultItem[]) {}

  private async call<T>(key: string, result: () => T): Promise<T> {
    this.calls.push(key)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      await new Promise(resolve => setImmediate(resolve))
      const next = this.failures.get(key)?.shift()
      if (next) throw next()
      return result()
    } finally {
      this.inFlight--
    }
  }

  private page<T>(all: T[], token: string | undefined): Page<T> {
    if (token === undefined && this.emptyFirstPage) return { items: [], continuationToken: '0' }
    const offset = Number(token ?? 0)
    const end = offset + this.pageSize
    return { items: all.slice(offset, end), ...(end < all.length && { continuationToken: String(end) }) }
  }

  listItems(type: ItemType, token?: string): Promise<Page<VaultItem>> {
    return this.call(`list:${type}${token === undefined ? '' : `@${token}`}`, () =>
      this.page(
        this.items.filter(i => i.type === type),
        token
      )
    )
  }
  listVersionIds(type: ItemType, name: string, token?: string): Promise<Page<string>> {
    return this.call(`versions:${type}/${name}${token === undefined ? '' : `@${token}`}`, () => {
      const count = this.versions.get(`${type}/${name}`) ?? 1
      return this.page(
        Array.from({ length: count }, (_, i) => `v${i}`),
        token
      )
    })
  }
  backup(type: ItemType, name: string): Promise<Uint8Array> {
    return this.call(`backup:${type}/${name}`, () => new TextEncoder().encode(`blob of ${type}/${name}`))
  }
}

/** Collects blobs in memory. */
export class MemorySink implements BlobSink {
  readonly blobs = new Map<string, Uint8Array>()
  async writeBlob(file: string, bytes: Uint8Array): Promise<{ size: number; sha256: string }> {
    this.blobs.set(file, bytes)
    return { size: bytes.length, sha256: sha256Hex(bytes) }
  }
}

/** A logger that keeps lines for assertions. */
export class MemoryLog implements Logger {
  readonly lines: string[] = []
  info = (m: string): void => void this.lines.push(`info: ${m}`)
  warning = (m: string): void => void this.lines.push(`warning: ${m}`)
  debug = (m: string): void => void this.lines.push(`debug: ${m}`)
}
