import type { ListingFailure } from '../../core/backup.js'
import type { VaultTarget } from '../../core/cloud.js'
import type { ManifestItem } from '../../core/manifest.js'
import { tallyOutcomes, type ItemOutcome } from '../../core/outcomes.js'
import { failureLines, failureMessage, failureTable, SUMMARY_ITEM_LIMIT } from '../../core/report.js'
import { escapeLog, escapeMarkdown } from '../../core/text.js'
import { ITEM_TYPES } from '../../core/types.js'
import { Outputs } from '../../inputs.js'

/** What a backup step did: one report per vault. */
export interface BackupReport {
  dryRun: boolean
  vaults: VaultBackupReport[]
  /** The failure that stopped the run (with one vault: that vault's). */
  fatal?: string
}

/** What the backup of one vault did, as the summary, the outputs and the CLI show it. */
export interface VaultBackupReport {
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
  /** Where the vault lives, when Resource Manager (or its answers' region) said. */
  location?: { subscriptionId?: string; resourceGroup?: string; location?: string; geography?: string }
  /** The failure that stopped this vault's backup. */
  fatal?: string
}

/** A new, empty report for the vaults of a step. */
export function newBackupReport(
  vaults: readonly Pick<VaultTarget, 'url' | 'name'>[],
  dryRun: boolean
): BackupReport {
  return {
    dryRun,
    vaults: vaults.map(vault => ({
      vault: { url: vault.url, name: vault.name },
      dryRun,
      outcomes: [],
      items: [],
      listingFailures: []
    }))
  }
}

/** One vault's figures, as the `results` output lists them. */
function vaultFigures(v: VaultBackupReport) {
  const totals = tallyOutcomes(v.outcomes)
  return {
    vault: v.vault.name,
    url: v.vault.url,
    complete: v.complete ?? false,
    backedUp: totals['backed-up'],
    skipped: totals.skipped,
    // A vault that could not be backed up at all counts once, as a failed listing does.
    failed: totals.failed + v.listingFailures.length + (v.fatal ? 1 : 0),
    ...(v.artifact && {
      artifactId: v.artifact.id,
      artifactUrl: v.artifact.url,
      artifactDigest: v.artifact.digest
    }),
    ...(v.manifestSha256 && { manifestSha256: v.manifestSha256 }),
    ...(v.backupPath && { backupPath: v.backupPath }),
    ...(v.fatal && { error: v.fatal })
  }
}

/**
 * The action's outputs (all strings, as the runner stores them). Counts add up every vault; the
 * artifact, folder and manifest outputs are the vault's when there is one, and `results` gives each
 * vault's figures as JSON.
 */
export function backupOutputs(report: BackupReport): Record<string, string> {
  const figures = report.vaults.map(vaultFigures)
  const sum = (key: 'backedUp' | 'skipped' | 'failed') => String(figures.reduce((n, f) => n + f[key], 0))
  const only = report.vaults.length === 1 ? report.vaults[0] : undefined
  // A vault that could not be backed up makes the step's backup incomplete.
  const lost = report.vaults.some(v => v.fatal)
  const known = lost || report.vaults.every(v => v.complete !== undefined)
  return {
    [Outputs.ArtifactId]: only?.artifact?.id.toString() ?? '',
    [Outputs.ArtifactUrl]: only?.artifact?.url ?? '',
    [Outputs.ArtifactDigest]: only?.artifact?.digest ?? '',
    [Outputs.BackupPath]: only?.backupPath ?? '',
    [Outputs.ManifestSha256]: only?.manifestSha256 ?? '',
    [Outputs.Complete]: known ? String(!lost && report.vaults.every(v => v.complete)) : '',
    [Outputs.BackedUp]: sum('backedUp'),
    [Outputs.Skipped]: sum('skipped'),
    [Outputs.Failed]: sum('failed'),
    [Outputs.Results]: JSON.stringify(figures)
  }
}

/** The failed items and listings (and, with several vaults, the vaults that failed) in one message. */
export function backupFailures(report: BackupReport): string | undefined {
  const several = report.vaults.length > 1
  const where = (v: VaultBackupReport) => (several ? ` in vault '${escapeLog(v.vault.name)}'` : '')
  const failed = report.vaults.flatMap(v => [
    ...(several && v.fatal
      ? [
          {
            type: 'secrets' as const,
            name: v.vault.name,
            reason: v.fatal,
            label: `vault '${escapeLog(v.vault.name)}'`
          }
        ]
      : []),
    ...v.listingFailures.map(f => ({
      type: f.type,
      name: '',
      reason: f.reason,
      label: `the ${f.type} listing${where(v)}`
    })),
    ...v.outcomes
      .filter(o => o.status === 'failed')
      .map(o => ({ ...o, label: `${o.type.slice(0, -1)} '${escapeLog(o.name)}'${where(v)}` }))
  ])
  if (!several) {
    const v = report.vaults[0]
    return failureMessage(
      failed,
      v.outcomes.filter(o => o.status !== 'skipped').length + v.listingFailures.length,
      'failed'
    )
  }
  if (failed.length === 0) return undefined
  // Several vaults: how many vaults could not be backed up at all, then how many items failed.
  const lost = report.vaults.filter(v => v.fatal).length
  const itemFailures = failed.length - lost
  const items = report.vaults.reduce(
    (n, v) => n + v.outcomes.filter(o => o.status !== 'skipped').length + v.listingFailures.length,
    0
  )
  const headline = [
    ...(lost > 0 ? [`${lost} of ${report.vaults.length} vaults could not be backed up`] : []),
    ...(itemFailures > 0 ? [`${itemFailures} of ${items} items failed`] : [])
  ].join('; ')
  return `${headline}:\n${failureLines(failed)}`
}

/** The job summary: with one vault, its details; with several, a row per vault, then the failures. */
export function renderBackupSummary(report: BackupReport, limit = SUMMARY_ITEM_LIMIT): string {
  if (report.vaults.length === 1)
    return renderVault({ ...report.vaults[0], fatal: report.fatal ?? report.vaults[0].fatal }, limit)
  const lines = [
    `## Key Vault backup of ${report.vaults.length} vaults${report.dryRun ? ' (dry run)' : ''}`,
    ''
  ]
  if (report.fatal) lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '')
  lines.push(
    '| Vault | Backed up | Skipped | Failed | Complete | Artifact |',
    '| --- | ---: | ---: | ---: | --- | --- |'
  )
  for (const v of report.vaults) {
    const f = vaultFigures(v)
    const state = v.fatal
      ? `**failed**: ${escapeMarkdown(v.fatal)}`
      : v.complete === undefined
        ? ''
        : v.complete
          ? 'yes'
          : '**no**'
    const artifact = v.artifact ? `[${escapeMarkdown(v.artifact.name)}](${encodeURI(v.artifact.url)})` : ''
    lines.push(
      `| ${escapeMarkdown(v.vault.name)} | ${f.backedUp} | ${f.skipped} | ${f.failed} | ${state} | ${artifact} |`
    )
  }
  lines.push('')
  const failed = report.vaults.flatMap(v => [
    ...v.listingFailures.map(l => ({ type: l.type, name: `${v.vault.name}/(listing)`, reason: l.reason })),
    ...v.outcomes.filter(o => o.status === 'failed').map(o => ({ ...o, name: `${v.vault.name}/${o.name}` }))
  ])
  if (failed.length > 0) lines.push('### Failures', '', ...failureTable(failed, limit))
  return lines.join('\n')
}

/** One vault's summary: completeness first, totals per type, artifact, failures, items (cut off). */
function renderVault(report: VaultBackupReport, limit: number): string {
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
