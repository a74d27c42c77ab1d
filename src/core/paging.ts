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

/**
 * The entries of a listing whose names (case-insensitive, as Key Vault's) are wanted, or undefined
 * when the listing runs past one page per wanted name (plus one: the service may open with an
 * empty page). Only wanted entries are kept, so memory follows the work, not the vault.
 */
export async function findNames<T extends { name: string }>(
  rate: RateController,
  read: (continuationToken: string | undefined) => Promise<Page<T>>,
  wanted: readonly string[]
): Promise<Map<string, T> | undefined> {
  const names = new Set(wanted)
  const found = new Map<string, T>()
  let pages = 0
  const complete = await forEachPage(rate, read, page => {
    for (const entry of page) {
      const name = entry.name.toLowerCase()
      if (names.has(name)) found.set(name, entry)
    }
    return ++pages <= wanted.length
  })
  return complete ? found : undefined
}
