import type { ItemOutcome, Totals } from './outcomes.js'
import { tallyOutcomes } from './outcomes.js'
import { escapeMarkdown } from './text.js'
import { ITEM_TYPES } from './types.js'
import type { ManifestItem } from './manifest.js'

/** Rows shown in the items table; the rest are counted, keeping the summary far below GitHub's 1 MiB cap. */
export const SUMMARY_ITEM_LIMIT = 200

export interface BackupReport {
  vaultUrl: string
  dryRun: boolean
  outcomes: readonly ItemOutcome[]
  items: readonly ManifestItem[]
  artifact?: { name: string; id?: number; url?: string; digest?: string }
  manifestSha256?: string
  backupPath?: string
  /** A failure that stopped the run before or after the item loop. */
  fatal?: string
}

/** Renders the job summary as Markdown: totals per type, the items table (cut off), the failures. */
export function renderBackupSummary(report: BackupReport, limit = SUMMARY_ITEM_LIMIT): string {
  const totals: Totals = tallyOutcomes(report.outcomes)
  const lines: string[] = [`## Key Vault backup${report.dryRun ? ' (dry run)' : ''}`, '']
  lines.push(`Vault: \`${escapeMarkdown(report.vaultUrl)}\``, '')
  if (report.fatal) lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '')

  const done = report.dryRun ? 'Would back up' : 'Backed up'
  lines.push(`| Type | ${done} | Skipped | Failed |`, '| --- | ---: | ---: | ---: |')
  for (const type of ITEM_TYPES) {
    const c = totals.byType[type]
    lines.push(`| ${type} | ${c['backed-up'] + c.planned} | ${c.skipped} | ${c.failed} |`)
  }
  lines.push(
    `| **total** | ${totals['backed-up'] + totals.planned} | ${totals.skipped} | ${totals.failed} |`,
    ''
  )

  if (report.artifact?.id !== undefined) {
    const name = escapeMarkdown(report.artifact.name)
    const link = report.artifact.url ? `[${name}](${encodeURI(report.artifact.url)})` : name
    lines.push(
      `Artifact: ${link} (id ${report.artifact.id}, digest \`${report.artifact.digest ?? '?'}\`)`,
      ''
    )
  }
  if (report.manifestSha256) lines.push(`Manifest SHA-256: \`${report.manifestSha256}\``, '')

  const failed = report.outcomes.filter(o => o.status === 'failed')
  if (failed.length > 0) {
    lines.push('### Failures', '', '| Type | Name | Reason |', '| --- | --- | --- |')
    for (const o of failed.slice(0, limit)) {
      lines.push(`| ${o.type} | ${escapeMarkdown(o.name)} | ${escapeMarkdown(o.reason ?? '')} |`)
    }
    if (failed.length > limit) lines.push('', `…and ${failed.length - limit} more failures (see the log).`)
    lines.push('')
  }

  const rows = report.outcomes.filter(o => o.status !== 'failed')
  if (rows.length > 0) {
    const byKey = new Map(report.items.map(i => [`${i.type}/${i.name}`, i]))
    lines.push('### Items', '', '| Type | Name | Status | Versions | Size | Content type | Tags |')
    lines.push('| --- | --- | --- | ---: | ---: | --- | --- |')
    for (const o of rows.slice(0, limit)) {
      const item = byKey.get(`${o.type}/${o.name}`)
      const status = o.status === 'skipped' ? `skipped: ${o.reason ?? ''}` : o.status
      const tags = item
        ? Object.entries(item.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')
        : ''
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
