import type { ListingFailure } from '../../core/backup.js'
import type { VaultTarget } from '../../core/cloud.js'
import type { ManifestItem } from '../../core/manifest.js'
import { tallyOutcomes, type ItemOutcome } from '../../core/outcomes.js'
import { failureMessage, failureTable, SUMMARY_ITEM_LIMIT } from '../../core/report.js'
import { escapeMarkdown } from '../../core/text.js'
import { ITEM_TYPES } from '../../core/types.js'
import { Outputs } from '../../inputs.js'

/** What the backup of one vault did, as the summary, the outputs and the CLI show it. */
export interface BackupReport {
  vault: Pick<VaultTarget, 'url' | 'name'>
  dryRun: boolean
  outcomes: ItemOutcome[]
  items: ManifestItem[]
  listingFailures: ListingFailure[]
  /** Set once the manifest is written: false when a listing or an item failed. */
  complete?: boolean
  artifact?: { name: string; id: number; url: string; digest: string; size: number }
  /** Why nothing was uploaded, when the backup failed before backing up anything. */
  notUploaded?: string
  manifestSha256?: string
  backupPath?: string
  /** The failure that stopped the run. */
  fatal?: string
}

/** A new, empty report for a vault. */
export function newBackupReport(vault: Pick<VaultTarget, 'url' | 'name'>, dryRun: boolean): BackupReport {
  return { vault: { url: vault.url, name: vault.name }, dryRun, outcomes: [], items: [], listingFailures: [] }
}

/** The action's outputs (all strings, as the runner stores them). */
export function backupOutputs(report: BackupReport): Record<string, string> {
  const totals = tallyOutcomes(report.outcomes)
  return {
    [Outputs.ArtifactId]: report.artifact?.id.toString() ?? '',
    [Outputs.ArtifactUrl]: report.artifact?.url ?? '',
    [Outputs.ArtifactDigest]: report.artifact?.digest ?? '',
    [Outputs.BackupPath]: report.backupPath ?? '',
    [Outputs.ManifestSha256]: report.manifestSha256 ?? '',
    [Outputs.Complete]: report.complete === undefined ? '' : String(report.complete),
    [Outputs.BackedUp]: String(totals['backed-up']),
    [Outputs.Skipped]: String(totals.skipped),
    [Outputs.Failed]: String(totals.failed + report.listingFailures.length)
  }
}

/** The failed items and listings in one message, or undefined. */
export function backupFailures(report: BackupReport): string | undefined {
  const failed = [
    ...report.listingFailures.map(f => ({ type: f.type, name: '(listing)', reason: f.reason })),
    ...report.outcomes.filter(o => o.status === 'failed')
  ]
  const total = report.outcomes.filter(o => o.status !== 'skipped').length + report.listingFailures.length
  return failureMessage(failed, total, 'failed')
}

/** The job summary: completeness first, totals per type, artifact, failures, items (cut off). */
export function renderBackupSummary(report: BackupReport, limit = SUMMARY_ITEM_LIMIT): string {
  const totals = tallyOutcomes(report.outcomes)
  const lines: string[] = [`## Key Vault backup${report.dryRun ? ' (dry run)' : ''}`, '']
  lines.push(`Vault: \`${escapeMarkdown(report.vault.url)}\``, '')
  if (report.fatal) lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '')
  if (report.complete === false) {
    const what = [
      ...report.listingFailures.map(f => `${f.type} could not be listed completely`),
      ...(totals.failed > 0 ? [`${totals.failed} items failed`] : [])
    ]
    lines.push(
      `> **Incomplete backup:** ${escapeMarkdown(what.join('; '))}. ` +
        (report.notUploaded
          ? `Nothing was uploaded: ${escapeMarkdown(report.notUploaded)}`
          : 'The artifact holds what succeeded and is marked incomplete; a restore refuses it unless `allow-partial: true`.'),
      ''
    )
  }
  const done = report.dryRun ? 'Would back up' : 'Backed up'
  lines.push(`| Type | ${done} | Skipped | Failed |`, '| --- | ---: | ---: | ---: |')
  for (const type of ITEM_TYPES) {
    const c = totals.byType[type]
    const listing = report.listingFailures.some(f => f.type === type) ? ' (listing failed)' : ''
    lines.push(`| ${type} | ${c['backed-up'] + c.planned} | ${c.skipped} | ${c.failed}${listing} |`)
  }
  lines.push(
    `| **total** | ${totals['backed-up'] + totals.planned} | ${totals.skipped} | ${totals.failed} |`,
    ''
  )
  if (report.artifact) {
    const name = escapeMarkdown(report.artifact.name)
    lines.push(
      `Artifact: [${name}](${encodeURI(report.artifact.url)}) (id ${report.artifact.id}, digest \`${report.artifact.digest}\`)`,
      ''
    )
  }
  if (report.manifestSha256) lines.push(`Manifest SHA-256: \`${report.manifestSha256}\``, '')

  const failed = [
    ...report.listingFailures.map(f => ({ type: f.type, name: '(listing)', reason: f.reason })),
    ...report.outcomes.filter(o => o.status === 'failed')
  ]
  if (failed.length > 0) lines.push('### Failures', '', ...failureTable(failed, limit))

  const rows = report.outcomes.filter(o => o.status !== 'failed')
  if (rows.length > 0) {
    const byKey = new Map(report.items.map(i => [`${i.type}/${i.name}`, i]))
    lines.push('### Items', '', '| Type | Name | Status | Versions | Size | Content type | Tags |')
    lines.push('| --- | --- | --- | ---: | ---: | --- | --- |')
    for (const o of rows.slice(0, limit)) {
      const item = byKey.get(`${o.type}/${o.name}`)
      const status = o.status === 'skipped' ? `skipped: ${o.reason ?? ''}` : o.status
      const tags = Object.entries(item?.tags ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
      lines.push(
        `| ${o.type} | ${escapeMarkdown(o.name)} | ${escapeMarkdown(status)} | ${o.versionCount ?? ''} | ` +
          `${o.size ?? ''} | ${escapeMarkdown(item?.contentType ?? '')} | ${escapeMarkdown(tags)} |`
      )
    }
    if (rows.length > limit) lines.push('', `…and ${rows.length - limit} more items not shown.`)
    lines.push('')
  }
  return lines.join('\n')
}
