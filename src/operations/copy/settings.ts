import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { VaultTarget } from '../../core/cloud.js'
import { COPY_IF_DELETED, COPY_IF_EXISTS, type CopyPolicy } from '../../core/copy.js'
import { parseRenameRules, type RenameRule } from '../../core/rename.js'
import type { SelectionFilter } from '../../core/selection.js'
import {
  bool,
  Inputs,
  oneOf,
  parseCloud,
  parseConcurrency,
  parseFilter,
  parseIdentity,
  parseVault,
  Problems,
  refuseOtherInputs,
  SOURCE_IDENTITY,
  splitLines,
  TARGET_IDENTITY,
  type CommonSettings,
  type Identity,
  type InputSource
} from '../../inputs.js'

/** What a copy needs: both sides (each its own identity), the selection, renames and policies. */
export interface CopySettings extends CommonSettings {
  operation: 'copy'
  vault: VaultTarget
  identity: Identity
  target: VaultTarget
  targetIdentity: Identity
  filter: SelectionFilter
  rename: RenameRule[]
  versions: 'latest' | 'all'
  policy: CopyPolicy
  concurrency: number
  dryRun: boolean
  /** Where the plan file goes (kept after the run). */
  planDir: string
}

/** The inputs a copy takes; any other input with a value is refused. */
export const COPY_INPUTS: ReadonlySet<string> = new Set([
  Inputs.Vault,
  Inputs.Environment,
  Inputs.Auth,
  Inputs.ClientId,
  Inputs.TenantId,
  Inputs.Audience,
  Inputs.TargetVault,
  Inputs.TargetEnvironment,
  Inputs.TargetAuth,
  Inputs.TargetTenantId,
  Inputs.TargetClientId,
  Inputs.TargetAudience,
  Inputs.Types,
  Inputs.Include,
  Inputs.Exclude,
  Inputs.Tags,
  Inputs.SkipDisabled,
  Inputs.Rename,
  Inputs.Versions,
  Inputs.IfExists,
  Inputs.IfDeleted,
  Inputs.Concurrency,
  Inputs.FailOnError,
  Inputs.DryRun
])

/**
 * Parses a copy's inputs. The target's `target-*` sign-in inputs default to the source's (the
 * audience to the target cloud's default when the clouds differ). Throws one error naming every
 * bad input.
 */
export function parseCopySettings(source: InputSource): CopySettings {
  const { read, env } = source
  const p = new Problems()
  refuseOtherInputs(read, p, 'copy', COPY_INPUTS)
  const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud')
  const targetCloud = parseCloud(p, Inputs.TargetEnvironment, read(Inputs.TargetEnvironment), cloud.name)
  const vault = parseVault(p, Inputs.Vault, read(Inputs.Vault), cloud)
  const target = parseVault(p, Inputs.TargetVault, read(Inputs.TargetVault), targetCloud)
  if (vault && target && vault.url === target.url) {
    p.add(`Inputs '${Inputs.Vault}' and '${Inputs.TargetVault}' name the same vault; a copy needs two`)
  }
  const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
    clientId: env.AZURE_CLIENT_ID,
    tenantId: env.AZURE_TENANT_ID
  })
  const targetIdentity = parseIdentity(source, p, TARGET_IDENTITY, targetCloud, identity)
  const rename = parseRenameRules(splitLines(read(Inputs.Rename)))
  for (const problem of rename.problems) p.add(`Invalid line in '${Inputs.Rename}': ${problem}`)
  const settings: CopySettings = {
    operation: 'copy',
    vault: vault ?? { url: '', name: '', knownHost: true },
    identity,
    target: target ?? { url: '', name: '', knownHost: true },
    targetIdentity,
    filter: parseFilter(read, p, ['secrets', 'certificates']),
    rename: rename.rules,
    versions: oneOf(p, Inputs.Versions, read(Inputs.Versions), ['latest', 'all'], 'latest'),
    policy: {
      ifExists: oneOf(p, Inputs.IfExists, read(Inputs.IfExists), COPY_IF_EXISTS, 'skip'),
      ifDeleted: oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), COPY_IF_DELETED, 'fail')
    },
    concurrency: parseConcurrency(read, p),
    failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
    dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false),
    planDir: join(env.RUNNER_TEMP || tmpdir(), 'keyvault-copy')
  }
  p.throwIfAny()
  return settings
}
