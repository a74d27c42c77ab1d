import { ITEM_TYPES, type ItemType } from './types.js'

/** `planned` is a dry run's "would back up". */
export type OutcomeStatus = 'backed-up' | 'planned' | 'skipped' | 'failed'

/** Exactly one per listed item. */
export interface ItemOutcome {
  type: ItemType
  name: string
  status: OutcomeStatus
  /** Why it was skipped or failed. */
  reason?: string
  versionCount?: number
  /** Blob path relative to the backup folder. */
  file?: string
  size?: number
  /** Non-fatal note, e.g. close to the version limit. */
  warning?: string
}

export type Counts = Record<OutcomeStatus, number>

export interface Totals extends Counts {
  byType: Record<ItemType, Counts>
}

const emptyCounts = (): Counts => ({ 'backed-up': 0, planned: 0, skipped: 0, failed: 0 })

/** Counts outcomes overall and per type, for outputs and the summary. */
export function tallyOutcomes(outcomes: readonly ItemOutcome[]): Totals {
  const byType = Object.fromEntries(ITEM_TYPES.map(type => [type, emptyCounts()])) as Record<ItemType, Counts>
  const totals: Totals = { ...emptyCounts(), byType }
  for (const outcome of outcomes) {
    totals[outcome.status]++
    byType[outcome.type][outcome.status]++
  }
  return totals
}
