import { escapeLog, escapeMarkdown } from './text.js'
import type { ItemType } from './types.js'
import { singular } from './versions.js'

/** Rows shown in a summary table; the rest are counted, keeping the summary far below GitHub's 1 MiB cap. */
export const SUMMARY_ITEM_LIMIT = 200

/** An item that failed, with the reason the user reads. */
export interface FailedItem {
  type: ItemType
  name: string
  reason?: string
  /** How the message names it, when not `type 'name'` (e.g. a whole vault). */
  label?: string
}

/**
 * One message for failed items, one line per distinct reason: a permission missing on a whole
 * vault reads as one line naming the items it affected, not as fifty copies of the same text.
 * Undefined when nothing failed.
 */
export function failureMessage(
  failed: readonly FailedItem[],
  total: number,
  what: string,
  shownReasons = 5,
  shownNames = 5
): string | undefined {
  if (failed.length === 0) return undefined
  return `${failed.length} of ${total} items ${what}:\n${failureLines(failed, shownReasons, shownNames)}`
}

/** The lines of a failure message under its headline: one per distinct reason, naming the items. */
export function failureLines(failed: readonly FailedItem[], shownReasons = 5, shownNames = 5): string {
  const byReason = new Map<string, FailedItem[]>()
  for (const item of failed) {
    const reason = item.reason ?? 'failed'
    byReason.set(reason, [...(byReason.get(reason) ?? []), item])
  }
  const lines = [...byReason.entries()].slice(0, shownReasons).map(([reason, items]) => {
    const names = items.slice(0, shownNames).map(i => i.label ?? `${singular(i.type)} '${escapeLog(i.name)}'`)
    const more = items.length > shownNames ? ` and ${items.length - shownNames} more` : ''
    return `${names.join(', ')}${more}: ${escapeLog(reason)}`
  })
  const hidden = byReason.size - shownReasons
  const tail = hidden > 0 ? `\n…and ${hidden} other reasons (see the job summary)` : ''
  return `${lines.join('\n')}${tail}`
}

/** A Markdown table of failures: type, name, reason, cut off at `limit` rows. */
export function failureTable(failed: readonly FailedItem[], limit = SUMMARY_ITEM_LIMIT): string[] {
  if (failed.length === 0) return []
  const lines = ['| Type | Name | Reason |', '| --- | --- | --- |']
  for (const o of failed.slice(0, limit)) {
    lines.push(`| ${o.type} | ${escapeMarkdown(o.name)} | ${escapeMarkdown(o.reason ?? '')} |`)
  }
  if (failed.length > limit) lines.push('', `…and ${failed.length - limit} more failures (see the log).`)
  return [...lines, '']
}
