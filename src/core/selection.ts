import { compileGlob } from './glob.js'
import type { ItemType, VaultItem } from './types.js'

/** One `key=value` line of the `tags` input; the value may use `*` and `?`. */
export interface TagFilter {
  key: string
  value: string
}

/** Which items to take: the `types`, `include`, `exclude`, `tags` and `skip-disabled` inputs. */
export interface SelectionFilter {
  types: ItemType[]
  /** Name globs; empty means every name. */
  include: string[]
  /** Name globs; an excluded name is skipped even when it is included. */
  exclude: string[]
  /** An item must match every line. */
  tags: TagFilter[]
  skipDisabled: boolean
}

/** An item left out, with the reason shown in the summary and the manifest. */
export interface SkippedItem {
  type: ItemType
  name: string
  reason: string
}

export interface Selection {
  selected: VaultItem[]
  skipped: SkippedItem[]
}

/**
 * Splits listed items into those to back up (or restore) and those skipped, each with a reason.
 * Certificate-owned keys and secrets come first: Key Vault refuses to back them up on their own and
 * the certificate's blob already holds them.
 */
export function selectItems(items: readonly VaultItem[], filter: SelectionFilter): Selection {
  const include = filter.include.map(compileGlob)
  const exclude = filter.exclude.map(compileGlob)
  const tags = filter.tags.map(tag => ({ key: tag.key, matches: compileGlob(tag.value) }))
  const selection: Selection = { selected: [], skipped: [] }

  for (const item of items) {
    const reason = skipReason(item)
    if (reason) selection.skipped.push({ type: item.type, name: item.name, reason })
    else selection.selected.push(item)
  }
  return selection

  function skipReason(item: VaultItem): string | undefined {
    if (!filter.types.includes(item.type)) return `type '${item.type}' not selected`
    if (item.managed) {
      const note = filter.types.includes('certificates') ? '' : ' (select certificates to back it up)'
      return `owned by certificate '${item.name}': covered by the certificate's backup${note}`
    }
    if (include.length > 0 && !include.some(match => match(item.name))) return 'not matched by include'
    if (exclude.some(match => match(item.name))) return 'matched by exclude'
    for (const tag of tags) {
      const value = findTag(item.tags, tag.key)
      if (value === undefined || !tag.matches(value)) return `tag '${tag.key}' does not match`
    }
    if (filter.skipDisabled && !item.enabled) return 'disabled (skip-disabled)'
    return undefined
  }
}

// Tag keys are matched exactly first, then case-insensitively, as the portal treats them.
export function findTag(tags: Record<string, string>, key: string): string | undefined {
  if (key in tags) return tags[key]
  const lower = key.toLowerCase()
  const found = Object.keys(tags).find(k => k.toLowerCase() === lower)
  return found === undefined ? undefined : tags[found]
}
