import type { PassedOver } from '../../adapters/artifact.js'
import type { ConflictPolicy, PlanEntry } from '../../core/plan.js'
import { failureMessage, SUMMARY_ITEM_LIMIT } from '../../core/report.js'
import type { RestoreOutcome, RestoreStatus } from '../../core/restore.js'
import { escapeLog, escapeMarkdown } from '../../core/text.js'
import { singular } from '../../core/versions.js'
import { Outputs } from '../../inputs.js'

/** Everything the restore summary, outputs and plan file show. */
export interface RestoreReport {
  targetVault: string
  /** Where the backup came from, in words (a folder, or an artifact and its run). */
  source: string
  dryRun: boolean
  policy: ConflictPolicy
  manifest?: { sourceVault: string; createdAt: string; sha256: string; items: number; complete: boolean }
  /** Newer artifacts `latest` passed over, and why. */
  passedOver: PassedOver[]
  /** What an incomplete backup lacks (restored anyway with `allow-partial: true`). */
  notInBackup: string[]
  /** Items of the backup left out by the filters. */
  filteredOut: number
  plan: PlanEntry[]
  /** By plan index, filled in as items finish (dry run: every row `planned`). */
  outcomes: RestoreOutcome[]
  planPath?: string
  /** A failure that stopped the run (verification, another security world, sign-in). */
  fatal?: string
}

/** A new, empty report. */
export function newRestoreReport(
  targetVault: string,
  dryRun: boolean,
  policy: ConflictPolicy
): RestoreReport {
  return {
    targetVault,
    source: '',
    dryRun,
    policy,
    passedOver: [],
    notInBackup: [],
    filteredOut: 0,
    plan: [],
    outcomes: []
  }
}

export type RestoreTotals = Record<RestoreStatus, number>

/** Counts outcomes (skipping items not finished yet). */
export function tallyRestore(outcomes: readonly (RestoreOutcome | undefined)[]): RestoreTotals {
  const totals: RestoreTotals = { restored: 0, recovered: 0, skipped: 0, failed: 0, planned: 0 }
  for (const o of outcomes) if (o) totals[o.status]++
  return totals
}

/** The restore outputs: counts and the plan file. A dry run counts nothing as restored. */
export function restoreOutputs(report: RestoreReport): Record<string, string> {
  const totals = tallyRestore(report.outcomes)
  return {
    [Outputs.Restored]: String(totals.restored),
    [Outputs.Recovered]: String(totals.recovered),
    [Outputs.Skipped]: String(totals.skipped),
    [Outputs.Failed]: String(totals.failed),
    [Outputs.PlanPath]: report.planPath ?? ''
  }
}

/** The failed restores in one message, or undefined. */
export function restoreFailures(report: RestoreReport): string | undefined {
  const failed = report.outcomes.filter(o => o?.status === 'failed')
  return failureMessage(failed, report.plan.length, 'failed to restore')
}

/** The plan as the JSON file behind the `plan-path` output. */
export function planDocument(report: RestoreReport): unknown {
  return {
    targetVault: report.targetVault,
    source: report.source,
    manifest: report.manifest,
    ...(report.notInBackup.length > 0 && { notInBackup: report.notInBackup }),
    policy: report.policy,
    dryRun: report.dryRun,
    items: report.plan.map((entry, i) => {
      // An outcome carries the state and decision as execution found them (e.g. "being deleted").
      const outcome = report.outcomes[i]
      const final = outcome ?? entry
      const changed = final.state !== entry.state || final.decision.action !== entry.decision.action
      return {
        type: entry.type,
        name: entry.name,
        state: final.state,
        action: final.decision.action,
        reason: final.decision.reason,
        ...(changed && { planned: { state: entry.state, action: entry.decision.action } }),
        outcome: outcome?.status ?? 'pending',
        ...(outcome?.reason && { outcomeReason: outcome.reason })
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
  if (report.fatal) lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '')
  if (report.notInBackup.length > 0) {
    lines.push(
      `> **Partial backup restored** (\`allow-partial: true\`). Not in the backup, so not restored: ` +
        escapeMarkdown(report.notInBackup.slice(0, limit).join('; ')) +
        (report.notInBackup.length > limit ? ` …and ${report.notInBackup.length - limit} more` : ''),
      ''
    )
  }
  if (report.manifest) {
    // Manifest text is free text: it goes in a table cell, escaped, never on a line of its own.
    const m = report.manifest
    lines.push(
      '| Backup of | Taken | Items | Complete | Manifest SHA-256 |',
      '| --- | --- | ---: | --- | --- |',
      `| ${escapeMarkdown(m.sourceVault)} | ${escapeMarkdown(m.createdAt)} | ${m.items} | ${m.complete ? 'yes' : '**no**'} | ${escapeMarkdown(m.sha256)} |`,
      ''
    )
  }
  if (report.passedOver.length > 0) {
    lines.push('Newer artifacts passed over:', '')
    for (const p of report.passedOver.slice(0, 20)) {
      lines.push(`- artifact ${p.id}${p.runId ? ` (run ${p.runId})` : ''}: ${escapeMarkdown(p.reason)}`)
    }
    lines.push('')
  }
  lines.push(
    `Policies: if-exists \`${report.policy.ifExists}\`, if-deleted \`${report.policy.ifDeleted}\``,
    ''
  )
  if (report.plan.length > 0) {
    lines.push(
      `Restored ${t.restored} · recovered ${t.recovered} · skipped ${t.skipped} · failed ${t.failed}` +
        (t.planned ? ` · planned ${t.planned}` : '') +
        (report.filteredOut ? ` · ${report.filteredOut} left out by the filters` : ''),
      ''
    )
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
