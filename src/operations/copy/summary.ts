import type { CopyPolicy } from '../../core/copy.js'
import { failureMessage, SUMMARY_ITEM_LIMIT } from '../../core/report.js'
import { escapeLog, escapeMarkdown } from '../../core/text.js'
import { singular } from '../../core/versions.js'
import { Outputs } from '../../inputs.js'
import type { CopyOutcome, CopyStatus } from './execute.js'
import type { CopyEntry } from './plan.js'

/** What the copy summary, outputs and plan file show: never a value. */
export interface CopyReport {
  sourceVault: string
  targetVault: string
  dryRun: boolean
  policy: CopyPolicy
  versions: 'latest' | 'all'
  renames: number
  plan: CopyEntry[]
  /** By plan index, filled in as items finish (dry run: every row `planned`). */
  outcomes: CopyOutcome[]
  leftOut: { owned: number; filtered: number }
  planPath?: string
  fatal?: string
}

export function newCopyReport(
  sourceVault: string,
  targetVault: string,
  settings: { dryRun: boolean; policy: CopyPolicy; versions: 'latest' | 'all'; rename: unknown[] }
): CopyReport {
  return {
    sourceVault,
    targetVault,
    dryRun: settings.dryRun,
    policy: settings.policy,
    versions: settings.versions,
    renames: settings.rename.length,
    plan: [],
    outcomes: [],
    leftOut: { owned: 0, filtered: 0 }
  }
}

/** Counts outcomes (skipping items not finished yet). */
export function tallyCopy(outcomes: readonly (CopyOutcome | undefined)[]): Record<CopyStatus, number> {
  const totals: Record<CopyStatus, number> = { copied: 0, unchanged: 0, skipped: 0, failed: 0, planned: 0 }
  for (const o of outcomes) if (o) totals[o.status]++
  return totals
}

export function copyOutputs(report: CopyReport): Record<string, string> {
  const t = tallyCopy(report.outcomes)
  return {
    [Outputs.Copied]: String(t.copied),
    [Outputs.Unchanged]: String(t.unchanged),
    [Outputs.Skipped]: String(t.skipped),
    [Outputs.Failed]: String(t.failed),
    [Outputs.PlanPath]: report.planPath ?? ''
  }
}

export function copyFailures(report: CopyReport): string | undefined {
  return failureMessage(
    report.outcomes.filter(o => o?.status === 'failed'),
    report.plan.length,
    'failed to copy'
  )
}

const arrow = (e: CopyEntry) => (e.target === e.name ? '' : ` -> '${escapeLog(e.target)}'`)

/** The plan as log lines, printed before anything is written. */
export function copyPlanLines(plan: readonly CopyEntry[]): string[] {
  return plan.map(
    e =>
      `  ${singular(e.type)} '${escapeLog(e.name)}'${arrow(e)}: ${e.state} -> ${e.decision.action}` +
      ` (${escapeLog(e.decision.reason)})${e.note ? `; ${escapeLog(e.note)}` : ''}`
  )
}

/** The plan file behind `plan-path`: each item, its target name, the state found, decision and outcome. */
export function copyPlanDocument(report: CopyReport): unknown {
  return {
    sourceVault: report.sourceVault,
    targetVault: report.targetVault,
    policy: report.policy,
    versions: report.versions,
    dryRun: report.dryRun,
    leftOut: report.leftOut,
    items: report.plan.map((entry, i) => {
      const outcome = report.outcomes[i]
      const final = outcome ?? entry
      return {
        type: entry.type,
        name: entry.name,
        target: entry.target,
        state: final.state,
        action: final.decision.action,
        reason: final.decision.reason,
        versionsToWrite: final.write,
        ...(entry.note && { note: entry.note }),
        outcome: outcome?.status ?? 'pending',
        ...(outcome?.reason && { outcomeReason: outcome.reason })
      }
    })
  }
}

/** The job summary: both vaults, the policies, totals, and the plan table with outcomes. */
export function renderCopySummary(report: CopyReport, limit = SUMMARY_ITEM_LIMIT): string {
  const t = tallyCopy(report.outcomes)
  const lines = [`## Key Vault copy${report.dryRun ? ' (dry run: plan only)' : ''}`, '']
  lines.push(
    `Source: \`${escapeMarkdown(report.sourceVault)}\` → Target: \`${escapeMarkdown(report.targetVault)}\``,
    ''
  )
  if (report.fatal) lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '')
  lines.push(
    `Policies: if-exists \`${report.policy.ifExists}\`, if-deleted \`${report.policy.ifDeleted}\` · versions \`${report.versions}\`` +
      (report.renames ? ` · ${report.renames} rename rules` : ''),
    ''
  )
  const left = report.leftOut
  if (report.plan.length > 0) {
    lines.push(
      `Copied ${t.copied} · unchanged ${t.unchanged} · skipped ${t.skipped} · failed ${t.failed}` +
        (t.planned ? ` · planned ${t.planned}` : '') +
        (left.owned ? ` · ${left.owned} certificate-owned left to their certificates` : '') +
        (left.filtered ? ` · ${left.filtered} left out by the filters` : ''),
      ''
    )
    lines.push(
      '| Type | Item | Target name | State found | Decision | Outcome |',
      '| --- | --- | --- | --- | --- | --- |'
    )
    for (const [i, e] of report.plan.slice(0, limit).entries()) {
      const o = report.outcomes[i]
      const outcome = o ? `${o.status}${o.reason ? `: ${o.reason}` : ''}` : 'pending'
      const decision = `${(o?.decision ?? e.decision).action}${e.note ? ` (${e.note})` : ''}`
      lines.push(
        `| ${e.type} | ${escapeMarkdown(e.name)} | ${escapeMarkdown(e.target)} | ${escapeMarkdown(o?.state ?? e.state)} | ` +
          `${escapeMarkdown(decision)} | ${escapeMarkdown(outcome)} |`
      )
    }
    if (report.plan.length > limit)
      lines.push('', `…and ${report.plan.length - limit} more items (see the plan file).`)
    lines.push('')
  }
  return lines.join('\n')
}
