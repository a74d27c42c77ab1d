import { fleetMatrix, vaultRecord, type FleetGroup, type FleetVault } from '../../core/fleet.js'
import { SUMMARY_ITEM_LIMIT } from '../../core/report.js'
import { escapeLog, escapeMarkdown } from '../../core/text.js'
import { Inputs, Outputs } from '../../inputs.js'

/** A subscription whose vaults were listed. */
export interface SubscriptionRead {
  subscriptionId: string
  displayName: string
  /** Vaults listed there, before the filters. */
  listed: number
  /** Of those, the vaults the filters kept. */
  kept: number
}

/** A subscription that could not be read (or named in `subscriptions` and not visible), and why. */
export interface UnreadableSubscription {
  subscriptionId: string
  displayName: string
  reason: string
}

/** What discovery found, as the outputs and the job summary show it. */
export interface DiscoverReport {
  cloud: string
  maxJobs: number
  subscriptions: SubscriptionRead[]
  unreadable: UnreadableSubscription[]
  /** The vaults kept by the filters, in matrix order. */
  vaults: FleetVault[]
  groups: FleetGroup[]
  /** Vaults the filters left out, by reason. */
  leftOut: Record<string, number>
  fatal?: string
}

export function newDiscoverReport(settings: { cloud: { name: string }; maxJobs: number }): DiscoverReport {
  return {
    cloud: settings.cloud.name,
    maxJobs: settings.maxJobs,
    subscriptions: [],
    unreadable: [],
    vaults: [],
    groups: [],
    leftOut: {}
  }
}

/** `vaults` (JSON array), `count` and `matrix` (JSON object for `fromJSON`), all strings. */
export function discoverOutputs(report: DiscoverReport): Record<string, string> {
  return {
    [Outputs.Vaults]: JSON.stringify(report.vaults.map(vaultRecord)),
    [Outputs.Count]: String(report.vaults.length),
    [Outputs.Matrix]: JSON.stringify(fleetMatrix(report.groups))
  }
}

/**
 * GitHub keeps at most 1 MB of a job's outputs and counts them as UTF-16 (two bytes a character
 * here). A warning before a job output would be cut, naming what to map instead; else undefined.
 */
export function outputSizeWarning(outputs: Record<string, string>, limit = 900_000): string | undefined {
  const size = (value: string): number => 2 * value.length
  const kB = (bytes: number): string => `${Math.round(bytes / 1000)} kB`
  const matrix = size(outputs[Outputs.Matrix])
  const vaults = size(outputs[Outputs.Vaults])
  if (matrix > limit) {
    return (
      `The '${Outputs.Matrix}' output takes about ${kB(matrix)} as GitHub counts it; a job's outputs hold at most 1 MB. ` +
      `Narrow the fleet with the filters, or split it over several discover steps ('${Inputs.Subscriptions}').`
    )
  }
  if (matrix + vaults > limit) {
    return (
      `The '${Outputs.Vaults}' output takes about ${kB(vaults)} as GitHub counts it; a job's outputs hold at most 1 MB. ` +
      `Map only '${Outputs.Matrix}' and '${Outputs.Count}' to the job's outputs (the matrix jobs need no more).`
    )
  }
  return undefined
}

const label = (s: { subscriptionId: string; displayName: string }): string =>
  s.displayName ? `'${s.displayName}' (${s.subscriptionId})` : s.subscriptionId

/**
 * Unreadable subscriptions fail the step only when nothing was found: vaults found elsewhere are
 * worth their jobs, and the summary lists what could not be read either way.
 */
export function discoverFailures(report: DiscoverReport): string | undefined {
  if (report.unreadable.length === 0 || report.vaults.length > 0) return undefined
  const shown = report.unreadable.slice(0, 5).map(u => `${escapeLog(label(u))}: ${u.reason}`)
  const more =
    report.unreadable.length > 5 ? `\n…and ${report.unreadable.length - 5} more (see the job summary)` : ''
  return `No vault found, and ${report.unreadable.length} subscriptions could not be read:\n${shown.join('\n')}${more}`
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no')

/** The job summary: totals, the subscriptions not read and why, the vaults (cut off) and the groups. */
export function renderDiscoverSummary(report: DiscoverReport, limit = SUMMARY_ITEM_LIMIT): string {
  const lines = ['## Key Vault discovery', '']
  if (report.fatal) lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '')
  const listed = report.subscriptions.reduce((n, s) => n + s.listed, 0)
  const left = Object.entries(report.leftOut)
  lines.push(
    `${report.cloud} · ${report.subscriptions.length} subscriptions read` +
      (report.unreadable.length ? ` · ${report.unreadable.length} not read` : '') +
      ` · ${listed} vaults listed · **${report.vaults.length} kept** in ${report.groups.length} groups ` +
      `(max-jobs ${report.maxJobs})`,
    ''
  )
  if (left.length > 0)
    lines.push(
      `Left out by the filters: ${left.map(([reason, n]) => `${n} ${escapeMarkdown(reason)}`).join(' · ')}`,
      ''
    )

  if (report.unreadable.length > 0) {
    lines.push('### Subscriptions not read', '', '| Subscription | Reason |', '| --- | --- |')
    for (const u of report.unreadable)
      lines.push(`| ${escapeMarkdown(label(u))} | ${escapeMarkdown(u.reason)} |`)
    lines.push('')
  }
  if (report.subscriptions.length > 0) {
    lines.push('### Subscriptions read', '', '| Subscription | Vaults listed | Kept |', '| --- | --- | --- |')
    for (const s of report.subscriptions.slice(0, limit))
      lines.push(`| ${escapeMarkdown(label(s))} | ${s.listed} | ${s.kept} |`)
    if (report.subscriptions.length > limit)
      lines.push('', `…and ${report.subscriptions.length - limit} more subscriptions.`)
    lines.push('')
  }
  if (report.vaults.length > 0) {
    const groupOf = new Map<FleetVault, string>()
    for (const g of report.groups) for (const v of g.vaults) groupOf.set(v, g.group)
    lines.push(
      '### Vaults',
      '',
      '| Vault | Group | Subscription | Resource group | Location | Soft delete | Purge protection | Permissions |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |'
    )
    for (const v of report.vaults.slice(0, limit)) {
      lines.push(
        `| ${escapeMarkdown(v.name)} | ${groupOf.get(v) ?? ''} | ${escapeMarkdown(v.subscriptionId)} | ` +
          `${escapeMarkdown(v.resourceGroup)} | ${escapeMarkdown(v.location)} | ${yesNo(v.softDelete)} | ` +
          `${yesNo(v.purgeProtection)} | ${v.permissionModel} |`
      )
    }
    if (report.vaults.length > limit)
      lines.push(
        '',
        `…and ${report.vaults.length - limit} more vaults (the \`vaults\` output lists them all).`
      )
    lines.push('')
  }
  if (report.groups.length > 0) {
    lines.push('### Matrix groups', '', '| Group | Vaults | Names |', '| --- | --- | --- |')
    for (const g of report.groups) {
      const names = g.vaults.slice(0, 5).map(v => escapeMarkdown(v.name))
      const more = g.vaults.length > 5 ? ` and ${g.vaults.length - 5} more` : ''
      lines.push(`| ${g.group} | ${g.vaults.length} | ${names.join(', ')}${more} |`)
    }
    lines.push('')
  }
  return lines.join('\n')
}
