import type { ConflictPolicy, PlanEntry } from './plan.js'
import { SUMMARY_ITEM_LIMIT } from './report.js'
import type { RestoreOutcome, RestoreStatus } from './restore.js'
import { escapeLog, escapeMarkdown } from './text.js'
import { singular } from './versions.js'

/** Everything the restore summary, outputs and plan file show. */
export interface RestoreReport {
  targetVault: string
  /** Where the backup came from, in words (a folder, or an artifact and its run). */
  source: string
  dryRun: boolean
  policy: ConflictPolicy
  manifest?: { sourceVault: string; createdAt: string; sha256: string; items: number }
  /** Items of the backup left out by the filters. */
  filteredOut: number
  plan: PlanEntry[]
  /** Filled in as execution ends (dry run: every row `planned`). */
  outcomes: RestoreOutcome[]
  planPath?: string
  /** A failure that stopped the run (verification, another security world, sign-in). */
  fatal?: string
}

export type RestoreTotals = Record<RestoreStatus, number>

/** Counts outcomes for the outputs and the summary. */
export function tallyRestore(outcomes: readonly RestoreOutcome[]): RestoreTotals {
  const totals: RestoreTotals = { restored: 0, recovered: 0, skipped: 0, failed: 0, planned: 0 }
  for (const o of outcomes) totals[o.status]++
  return totals
}

/** The plan as the JSON file behind the `plan-path` output. */
export function planDocument(report: RestoreReport): unknown {
  return {
    targetVault: report.targetVault,
    source: report.source,
    manifest: report.manifest,
    policy: report.policy,
    dryRun: report.dryRun,
    items: report.plan.map((entry, i) => {
      // An outcome carries the state and decision as execution found them (e.g. "being deleted").
      const final = report.outcomes[i] ?? entry
      const changed = final.state !== entry.state || final.decision.action !== entry.decision.action
      return {
        type: entry.type,
        name: entry.name,
        state: final.state,
        action: final.decision.action,
        reason: final.decision.reason,
        ...(changed && { planned: { state: entry.state, action: entry.decision.action } }),
        ...(report.outcomes[i] && {
          outcome: report.outcomes[i].status,
          ...(report.outcomes[i].reason && { outcomeReason: report.outcomes[i].reason })
        })
      }
    })
  }
}

/** The plan as log lines, printed before anything is written. */
export function planLines(plan: readonly PlanEntry[]): string[] {
  return plan.map(
    e =>
      `  ${singular(e.type)} '${escapeLog(e.name)}': ${e.state} -> ${e.decision.action} (${escapeLog(e.decision.reason)})`
  )
}

/** The job summary: source, policies, totals, and the table item / state found / decision / outcome. */
export function renderRestoreSummary(report: RestoreReport, limit = SUMMARY_ITEM_LIMIT): string {
  const t = tallyRestore(report.outcomes)
  const lines = [`## Key Vault restore${report.dryRun ? ' (dry run: plan only)' : ''}`, '']
  lines.push(
    `Target: \`${escapeMarkdown(report.targetVault)}\` · Source: ${escapeMarkdown(report.source)}`,
    ''
  )
  if (report.manifest) {
    // Manifest text is free text: it goes in a table cell, escaped, never on a line of its own.
    const m = report.manifest
    lines.push(
      '| Backup of | Taken | Items | Manifest SHA-256 |',
      '| --- | --- | ---: | --- |',
      `| ${escapeMarkdown(m.sourceVault)} | ${escapeMarkdown(m.createdAt)} | ${m.items} | ${escapeMarkdown(m.sha256)} |`,
      ''
    )
  }
  lines.push(
    `Policies: if-exists \`${report.policy.ifExists}\`, if-deleted \`${report.policy.ifDeleted}\``,
    ''
  )
  if (report.fatal) lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '')
  if (report.outcomes.length > 0) {
    lines.push(
      `Restored ${t.restored} · recovered ${t.recovered} · skipped ${t.skipped} · failed ${t.failed}` +
        (t.planned ? ` · planned ${t.planned}` : '') +
        (report.filteredOut ? ` · ${report.filteredOut} left out by the filters` : ''),
      ''
    )
  }
  if (report.plan.length > 0) {
    lines.push('| Type | Item | State found | Decision | Outcome |', '| --- | --- | --- | --- | --- |')
    for (const [i, e] of report.plan.slice(0, limit).entries()) {
      const o = report.outcomes[i]
      const outcome = o ? `${o.status}${o.reason ? `: ${o.reason}` : ''}` : 'pending'
      lines.push(
        `| ${e.type} | ${escapeMarkdown(e.name)} | ${escapeMarkdown(o?.state ?? e.state)} | ` +
          `${escapeMarkdown((o?.decision ?? e.decision).action)} | ${escapeMarkdown(outcome)} |`
      )
    }
    if (report.plan.length > limit)
      lines.push('', `…and ${report.plan.length - limit} more items (see the plan file).`)
    lines.push('')
  }
  return lines.join('\n')
}
