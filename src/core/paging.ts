import type { RateController } from './rate.js'

/** One page of a listing; `continuationToken` (the service's nextLink) is absent on the last page. */
export interface Page<T> {
  items: T[]
  continuationToken?: string
}

/** Reads one page of a listing: the first when `continuationToken` is undefined. */
export type PageRead<T> = (continuationToken: string | undefined) => Promise<Page<T>>

/**
 * Walks a listing page by page. Each page is one call under the rate controller, so a 503 or a
 * reset retries that page alone, resuming from the last continuation token; a page that keeps
 * failing fails the listing after the controller's bounded retries. Empty pages that carry a token
 * are followed (the service answers so). `onPage` runs outside the controller's slot (it may wait
 * for room downstream) and may return false to stop before the next page. Resolves true when the listing ended.
 * A vault's listing feeds the work, so `ahead` lets its pages pass calls waiting for a slot.
 */
export async function forEachPage<T>(
  rate: RateController,
  read: PageRead<T>,
  onPage: (items: T[]) => boolean | void | Promise<boolean | void>,
  options: { ahead?: boolean } = {}
): Promise<boolean> {
  let token: string | undefined
  for (;;) {
    const current = token
    const page = await rate.run(() => read(current), options)
    const more = await onPage(page.items)
    token = page.continuationToken || undefined
    if (token === undefined) return true
    if (more === false) return false
    // A service (or proxy) that hands back the same link would otherwise loop for ever.
    if (token === current) throw new Error('the listing returned the same continuation link twice')
  }
}

/** Reads a whole (small) listing, page by page as `forEachPage` does: for an object's versions. */
export async function readAllPages<T>(rate: RateController, read: PageRead<T>): Promise<T[]> {
  const all: T[] = []
  await forEachPage(rate, read, items => void all.push(...items))
  return all
}

/** The names a search of a listing wants (lower case), possibly still being learnt. */
export interface WantedNames {
  /** How many names are known so far. */
  readonly size: number
  has(name: string): boolean
  /** True once every name is known. */
  readonly final: boolean
  /** Resolves when a name is added or the names become final. */
  changed(): Promise<void>
}

/** Names a caller wants, learnt while another listing runs: `add` them, then `finish`. */
export class LearntNames implements WantedNames {
  private readonly names = new Set<string>()
  private done = false
  private waiting: (() => void)[] = []

  get size(): number {
    return this.names.size
  }
  get final(): boolean {
    return this.done
  }
  has(name: string): boolean {
    return this.names.has(name)
  }
  changed(): Promise<void> {
    return this.done ? Promise.resolve() : new Promise(resolve => this.waiting.push(resolve))
  }
  add(name: string): void {
    this.names.add(name.toLowerCase())
    this.wake()
  }
  finish(): void {
    this.done = true
    this.wake()
  }
  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve()
  }
}

/**
 * The entries of a listing whose names (case-insensitive, as Key Vault's) are wanted, or undefined
 * when the listing runs past one page per wanted name (plus one: the service may open with an
 * empty page). Only wanted entries are kept, so memory follows the work, not the vault. With names
 * still being learnt, the search runs beside the listing that teaches them: it reads a page only
 * while it has read fewer pages than it knows names (plus one), and keeps every entry it read until
 * the names are final.
 */
export async function findNames<T extends { name: string }>(
  rate: RateController,
  read: (continuationToken: string | undefined) => Promise<Page<T>>,
  wanted: readonly string[] | WantedNames
): Promise<Map<string, T> | undefined> {
  const names = Array.isArray(wanted) ? fixedNames(wanted as readonly string[]) : (wanted as WantedNames)
  const found = new Map<string, T>()
  let pages = 0
  const complete = await forEachPage(rate, read, async page => {
    for (const entry of page) {
      const name = entry.name.toLowerCase()
      if (!names.final || names.has(name)) found.set(name, entry)
    }
    pages++
    while (!names.final && names.size < pages) await names.changed()
    return pages <= names.size
  })
  if (!complete) return undefined
  // The listing may end before the names do: a name learnt later may be one it read.
  while (!names.final) await names.changed()
  for (const name of found.keys()) if (!names.has(name)) found.delete(name)
  return found
}

function fixedNames(list: readonly string[]): WantedNames {
  const names = new Set(list)
  return { size: list.length, has: name => names.has(name), final: true, changed: () => Promise.resolve() }
}
