import type { CloudSettings } from '../../core/cloud.js'
import { MAX_MATRIX_JOBS, type FleetFilter } from '../../core/fleet.js'
import type { TagFilter } from '../../core/selection.js'
import {
  bool,
  Inputs,
  integer,
  parseCloud,
  parseIdentity,
  Problems,
  quote,
  refuseOtherInputs,
  SOURCE_IDENTITY,
  splitLines,
  splitList,
  type CommonSettings,
  type Identity,
  type InputSource
} from '../../inputs.js'

/** What discover needs: who signs in where, which subscriptions, the filters and the matrix size. */
export interface DiscoverSettings extends CommonSettings {
  operation: 'discover'
  cloud: CloudSettings
  identity: Identity
  /** Subscription ids to read; empty means every subscription the identity can list. */
  subscriptions: string[]
  filter: FleetFilter
  /** At most this many matrix groups (1-256). */
  maxJobs: number
}

/** The inputs discover takes; any other input with a value is refused. */
export const DISCOVER_ACCEPTED: ReadonlySet<string> = new Set<string>([
  Inputs.Subscriptions,
  Inputs.VaultInclude,
  Inputs.VaultExclude,
  Inputs.VaultTags,
  Inputs.ResourceGroups,
  Inputs.Locations,
  Inputs.MaxJobs,
  Inputs.Environment,
  Inputs.Auth,
  Inputs.ClientId,
  Inputs.TenantId,
  Inputs.Audience,
  Inputs.FailOnError
])

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const VAULT_PATTERN = /^[0-9a-zA-Z*?-]+$/
// Resource group names: letters, digits, '-', '_', '.', '(' and ')'; patterns may add '*' and '?'.
const GROUP_PATTERN = /^[\p{L}\p{N}_.()*?-]+$/u
const LOCATION_PATTERN = /^[a-zA-Z0-9 *?]+$/

function globs(p: Problems, name: string, raw: string, allowed: RegExp, what: string): string[] {
  const list = splitList(raw)
  for (const pattern of list) {
    if (!allowed.test(pattern)) p.add(`Invalid pattern in '${name}': ${quote(pattern)}. ${what}`)
  }
  return list
}

function tagLines(p: Problems, raw: string): TagFilter[] {
  return splitLines(raw).flatMap(line => {
    const eq = line.indexOf('=')
    if (eq <= 0) {
      p.add(`Invalid line in '${Inputs.VaultTags}': ${quote(line)}. Expected key=value`)
      return []
    }
    return [{ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() }]
  })
}

function subscriptionIds(p: Problems, raw: string): string[] {
  const seen = new Set<string>()
  const ids: string[] = []
  for (const id of splitList(raw)) {
    if (!GUID.test(id)) {
      p.add(
        `Invalid value in '${Inputs.Subscriptions}': ${quote(id)}. Expected a subscription id, a GUID such as 00000000-0000-0000-0000-000000000000`
      )
    } else if (!seen.has(id.toLowerCase())) {
      seen.add(id.toLowerCase())
      ids.push(id.toLowerCase())
    }
  }
  return ids
}

/**
 * Parses discover's inputs (the action's, or the CLI's options mapped to input names). Throws one
 * error naming every bad input.
 */
export function parseDiscoverSettings(source: InputSource): DiscoverSettings {
  const { read, env } = source
  const p = new Problems()
  refuseOtherInputs(read, p, 'discover', DISCOVER_ACCEPTED)
  const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud')
  const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
    clientId: env.AZURE_CLIENT_ID,
    tenantId: env.AZURE_TENANT_ID
  })
  const names = "Vault names hold letters, digits and '-'; patterns may add '*' and '?'"
  const include = globs(p, Inputs.VaultInclude, read(Inputs.VaultInclude), VAULT_PATTERN, names)
  const exclude = globs(p, Inputs.VaultExclude, read(Inputs.VaultExclude), VAULT_PATTERN, names)
  const both = include.filter(x => exclude.some(y => y.toLowerCase() === x.toLowerCase()))
  if (both.length > 0) {
    p.add(
      `Inputs '${Inputs.VaultInclude}' and '${Inputs.VaultExclude}' both list ${both.map(quote).join(', ')}; keep it in one`
    )
  }
  const settings: DiscoverSettings = {
    operation: 'discover',
    cloud,
    identity,
    subscriptions: subscriptionIds(p, read(Inputs.Subscriptions)),
    filter: {
      include,
      exclude,
      tags: tagLines(p, read(Inputs.VaultTags)),
      resourceGroups: globs(
        p,
        Inputs.ResourceGroups,
        read(Inputs.ResourceGroups),
        GROUP_PATTERN,
        "Resource group names hold letters, digits, '-', '_', '.', '(' and ')'; patterns may add '*' and '?'"
      ),
      locations: globs(
        p,
        Inputs.Locations,
        read(Inputs.Locations),
        LOCATION_PATTERN,
        "Expected a location such as 'westeurope' or 'West Europe'; patterns may add '*' and '?'"
      )
    },
    maxJobs: integer(p, Inputs.MaxJobs, read(Inputs.MaxJobs), 1, MAX_MATRIX_JOBS) ?? MAX_MATRIX_JOBS,
    failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true)
  }
  p.throwIfAny()
  return settings
}
