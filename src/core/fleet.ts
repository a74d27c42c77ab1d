import { compileGlob } from './glob.js'
import { findTag, type TagFilter } from './selection.js'

/**
 * The fleet: every vault Resource Manager shows the identity, the filters that narrow it, and the
 * matrix that spreads it over parallel jobs. Pure data in, pure data out.
 */

/** How a vault decides data-plane access. */
export type PermissionModel = 'rbac' | 'access-policy'

/** A vault as Resource Manager lists it (never anything of its contents). */
export interface FleetVault {
  name: string
  /** The vault's origin, e.g. `https://prod.vault.azure.net` (no trailing slash). */
  url: string
  /** The resource id: the stable key of the matrix. */
  id: string
  subscriptionId: string
  resourceGroup: string
  location: string
  tenantId: string
  tags: Record<string, string>
  softDelete: boolean
  purgeProtection: boolean
  permissionModel: PermissionModel
}

/** The `vault-include`, `vault-exclude`, `vault-tags`, `resource-groups` and `locations` inputs. */
export interface FleetFilter {
  /** Vault name globs; empty means every name. */
  include: string[]
  /** Vault name globs; an excluded vault is left out even when included. */
  exclude: string[]
  /** A vault must match every line; values may use `*` and `?`. */
  tags: TagFilter[]
  /** Resource group names or globs; empty means every group. */
  resourceGroups: string[]
  /** Locations (`westeurope`, or `West Europe`) or globs; empty means every location. */
  locations: string[]
}

export const NO_FLEET_FILTER: FleetFilter = {
  include: [],
  exclude: [],
  tags: [],
  resourceGroups: [],
  locations: []
}

/** `West Europe` -> `westeurope`: the form Resource Manager answers with. */
export const normalizeLocation = (location: string): string => location.toLowerCase().replace(/\s+/g, '')

/** The vaults the filters keep, and how many each reason left out. */
export interface FleetSelection {
  selected: FleetVault[]
  leftOut: Record<string, number>
}

/**
 * Keeps the vaults every filter accepts. Names, groups and locations match case-insensitively (as
 * Azure treats them); tag keys match exactly first, then case-insensitively, as the portal does.
 */
export function filterVaults(vaults: readonly FleetVault[], filter: FleetFilter): FleetSelection {
  const reasonOf = leftOutReason(filter)
  const selection: FleetSelection = { selected: [], leftOut: {} }
  for (const vault of vaults) {
    const reason = reasonOf(vault)
    if (reason) selection.leftOut[reason] = (selection.leftOut[reason] ?? 0) + 1
    else selection.selected.push(vault)
  }
  return selection
}

/** Why the filters leave a vault out (`not in resource-groups`, ...), or undefined when they keep it. */
export function leftOutReason(filter: FleetFilter): (vault: FleetVault) => string | undefined {
  const include = filter.include.map(compileGlob)
  const exclude = filter.exclude.map(compileGlob)
  const groups = filter.resourceGroups.map(compileGlob)
  const locations = filter.locations.map(l => compileGlob(normalizeLocation(l)))
  const tags = filter.tags.map(tag => ({ key: tag.key, matches: compileGlob(tag.value) }))
  return vault => {
    if (include.length > 0 && !include.some(match => match(vault.name))) return 'not matched by vault-include'
    if (exclude.some(match => match(vault.name))) return 'matched by vault-exclude'
    if (groups.length > 0 && !groups.some(match => match(vault.resourceGroup)))
      return 'not in resource-groups'
    if (locations.length > 0 && !locations.some(match => match(normalizeLocation(vault.location))))
      return 'not in locations'
    for (const tag of tags) {
      const value = findTag(vault.tags, tag.key)
      if (value === undefined || !tag.matches(value)) return 'vault-tags do not match'
    }
    return undefined
  }
}

/** GitHub runs at most 256 jobs from one matrix. */
export const MAX_MATRIX_JOBS = 256

/** One job of the matrix: its name and its vaults. */
export interface FleetGroup {
  group: string
  vaults: FleetVault[]
}

/** One entry of `matrix.include`: `vaults` holds one vault URL per line. */
export interface MatrixEntry {
  group: string
  vaults: string
}

/** The `matrix` output, for `strategy.matrix: ${{ fromJSON(needs.discover.outputs.matrix) }}`. */
export interface FleetMatrix {
  include: MatrixEntry[]
}

/** `group-001`: names sort the way the groups are numbered. */
export const groupName = (index: number): string => `group-${String(index + 1).padStart(3, '0')}`

/** The stable key of a vault: its resource id (case-insensitive in Azure), then its URL. */
const stableKey = (v: FleetVault): string => `${v.id.toLowerCase()}|${v.url.toLowerCase()}`

/**
 * Spreads vaults over at most `maxJobs` groups of near-equal size (sizes differ by at most one; one
 * vault per group when there are fewer vaults than jobs). The vaults are sorted by resource id and
 * cut into consecutive runs, so an unchanged fleet gives the same groups every run, and one vault
 * added or removed moves at most one vault across each boundary between groups (to a neighbouring
 * group) rather than reshuffling the fleet as dealing round-robin would. A vault listed twice (the
 * same resource id) counts once.
 */
export function groupVaults(vaults: readonly FleetVault[], maxJobs = MAX_MATRIX_JOBS): FleetGroup[] {
  const byKey = new Map<string, FleetVault>()
  for (const vault of vaults) if (!byKey.has(stableKey(vault))) byKey.set(stableKey(vault), vault)
  const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v)
  const count = Math.min(Math.max(1, Math.floor(maxJobs)), MAX_MATRIX_JOBS, sorted.length)
  const groups: FleetGroup[] = []
  const size = Math.floor(sorted.length / Math.max(1, count))
  const larger = sorted.length % Math.max(1, count)
  for (let i = 0, start = 0; i < count; i++) {
    const end = start + size + (i < larger ? 1 : 0)
    groups.push({ group: groupName(i), vaults: sorted.slice(start, end) })
    start = end
  }
  return groups
}

/**
 * The group a matrix holds when the fleet is empty. GitHub refuses `{"include":[]}` when it evaluates
 * the job's strategy ("Matrix must define at least one vector": ConvertToStrategy in actions/runner's
 * PipelineTemplateConverter counts an empty include as no vector), and whether a job-level `if` is
 * evaluated before the strategy is not documented. So an empty fleet gives one placeholder entry
 * with no vaults: the strategy is valid either way, the consuming job skips with
 * `if: needs.discover.outputs.count != '0'` (the guard dorny/paths-filter#66 recommends), and a job
 * that runs anyway gets an empty `vaults` list, i.e. nothing to do.
 */
export const EMPTY_FLEET_ENTRY: MatrixEntry = { group: 'none', vaults: '' }

/** The matrix of the groups (the placeholder entry when there are none). */
export function fleetMatrix(groups: readonly FleetGroup[]): FleetMatrix {
  if (groups.length === 0) return { include: [{ ...EMPTY_FLEET_ENTRY }] }
  return { include: groups.map(g => ({ group: g.group, vaults: g.vaults.map(v => v.url).join('\n') })) }
}

/** One vault of the `vaults` output. */
export interface VaultRecord {
  name: string
  url: string
  subscriptionId: string
  resourceGroup: string
  location: string
  tenantId: string
  softDelete: boolean
  purgeProtection: boolean
  permissionModel: PermissionModel
}

/** The `vaults` output's entry of a vault (no tags: they may be many, and outputs are capped at 1 MB). */
export function vaultRecord(v: FleetVault): VaultRecord {
  return {
    name: v.name,
    url: v.url,
    subscriptionId: v.subscriptionId,
    resourceGroup: v.resourceGroup,
    location: v.location,
    tenantId: v.tenantId,
    softDelete: v.softDelete,
    purgeProtection: v.purgeProtection,
    permissionModel: v.permissionModel
  }
}
