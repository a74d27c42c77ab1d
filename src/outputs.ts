import { tallyOutcomes } from './core/outcomes.js'
import type { BackupReport } from './core/report.js'
import { tallyRestore, type RestoreReport } from './core/restore-report.js'
import { escapeLog } from './core/text.js'
import { Outputs } from './inputs.js'

/** The action's outputs for a report, as name/value pairs (all strings, as the runner stores them). */
export function backupOutputs(report: BackupReport): Record<string, string> {
  const totals = tallyOutcomes(report.outcomes)
  return {
    [Outputs.ArtifactId]: report.artifact?.id?.toString() ?? '',
    [Outputs.ArtifactUrl]: report.artifact?.url ?? '',
    [Outputs.ArtifactDigest]: report.artifact?.digest ?? '',
    [Outputs.BackupPath]: report.backupPath ?? '',
    [Outputs.ManifestSha256]: report.manifestSha256 ?? '',
    [Outputs.BackedUp]: String(totals['backed-up']),
    [Outputs.Skipped]: String(totals.skipped),
    [Outputs.Failed]: String(totals.failed)
  }
}

/** One message naming the first few failures, or undefined when nothing failed. */
export function failureMessage(report: BackupReport, shown = 5): string | undefined {
  const failed = report.outcomes.filter(o => o.status === 'failed')
  if (failed.length === 0) return undefined
  const total = report.outcomes.filter(o => o.status !== 'skipped').length
  const lines = failed.slice(0, shown).map(o => `${o.type} '${escapeLog(o.name)}': ${o.reason ?? 'failed'}`)
  const more = failed.length > shown ? `\n…and ${failed.length - shown} more (see the job summary)` : ''
  return `${failed.length} of ${total} items failed:\n${lines.join('\n')}${more}`
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

/** One message naming the first few failed restores, or undefined when none failed. */
export function restoreFailureMessage(report: RestoreReport, shown = 5): string | undefined {
  const failed = report.outcomes.filter(o => o.status === 'failed')
  if (failed.length === 0) return undefined
  const lines = failed
    .slice(0, shown)
    .map(o => `${o.type} '${escapeLog(o.name)}': ${escapeLog(o.reason ?? 'failed')}`)
  const more = failed.length > shown ? `\n…and ${failed.length - shown} more (see the job summary)` : ''
  return `${failed.length} of ${report.outcomes.length} items failed to restore:\n${lines.join('\n')}${more}`
}
