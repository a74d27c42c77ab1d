import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ArtifactSource } from '../../adapters/artifact.js'
import type { VaultTarget } from '../../core/cloud.js'
import { IF_DELETED, IF_EXISTS, type ConflictPolicy } from '../../core/plan.js'
import type { SelectionFilter } from '../../core/selection.js'
import {
  absolutePath,
  ARTIFACT_FORBIDDEN,
  bool,
  Inputs,
  oneOf,
  parseCloud,
  parseConcurrency,
  parseFilter,
  parseIdentity,
  parseVault,
  Problems,
  quote,
  refuseOtherInputs,
  SOURCE_IDENTITY,
  type CommonSettings,
  type Identity,
  type InputReader,
  type InputSource
} from '../../inputs.js'

/** Where a restore reads its backup from. */
export type RestoreSource = { kind: 'path'; path: string } | { kind: 'artifact'; artifact: ArtifactSource }

/** What a restore needs: the target (`vault`), the source, the policies, the checks. */
export interface RestoreSettings extends CommonSettings {
  operation: 'restore'
  vault: VaultTarget
  identity: Identity
  /** Selects from the backup (`skip-disabled` is a backup and copy input). */
  filter: SelectionFilter
  concurrency: number
  dryRun: boolean
  source: RestoreSource
  policy: ConflictPolicy
  verify: boolean
  /** `manifest-sha256`: the backup's manifest must have exactly this SHA-256. */
  expectedManifestSha256?: string
  /** `allow-partial`: restore what an incomplete backup holds. */
  allowPartial: boolean
  /** Where the plan file goes (kept after the run). */
  planDir: string
}

/** The inputs a restore takes; any other input with a value is refused. */
export const RESTORE_INPUTS: ReadonlySet<string> = new Set([
  Inputs.Vault,
  Inputs.Environment,
  Inputs.Auth,
  Inputs.ClientId,
  Inputs.TenantId,
  Inputs.Audience,
  Inputs.Types,
  Inputs.Include,
  Inputs.Exclude,
  Inputs.Tags,
  Inputs.ArtifactName,
  Inputs.RunId,
  Inputs.RunBranch,
  Inputs.Repository,
  Inputs.GithubToken,
  Inputs.Path,
  Inputs.ManifestSha256,
  Inputs.AllowPartial,
  Inputs.IfExists,
  Inputs.IfDeleted,
  Inputs.Verify,
  Inputs.Concurrency,
  Inputs.FailOnError,
  Inputs.DryRun
])

const RUN_ID = /^[1-9]\d{0,19}$/
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/
const SHA256 = /^[0-9a-fA-F]{64}$/
const BRANCH = /^[^\s~^:?*[\\]+$/

/**
 * Parses a restore's inputs: the target, the source (`path`, or `artifact-name` with `run-id`,
 * `run-branch`, `repository`, `github-token`), the two conflict policies and the checks.
 * Contradictions are reported together. `env` supplies GITHUB_REPOSITORY, RUNNER_TEMP and the
 * AZURE_* fallbacks.
 */
export function parseRestoreSettings(source: InputSource): RestoreSettings {
  const { read, env } = source
  const p = new Problems()
  refuseOtherInputs(read, p, 'restore', RESTORE_INPUTS)
  const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud')
  const vault = parseVault(p, Inputs.Vault, read(Inputs.Vault), cloud)
  const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
    clientId: env.AZURE_CLIENT_ID,
    tenantId: env.AZURE_TENANT_ID
  })
  const backupSource = parseSource(read, env, p)
  const rawSha = read(Inputs.ManifestSha256)
  if (rawSha && !SHA256.test(rawSha)) {
    p.add(
      `Invalid value for '${Inputs.ManifestSha256}': ${quote(rawSha)}. Expected the 64 hex digits of the backup step's 'manifest-sha256' output`
    )
  }
  const settings: RestoreSettings = {
    operation: 'restore',
    vault: vault ?? { url: '', name: '', knownHost: true },
    identity,
    filter: parseFilter(read, p),
    concurrency: parseConcurrency(read, p),
    failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
    dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false),
    source: backupSource,
    policy: {
      ifExists: oneOf(p, Inputs.IfExists, read(Inputs.IfExists), IF_EXISTS, 'skip'),
      ifDeleted: oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), IF_DELETED, 'fail')
    },
    verify: bool(p, Inputs.Verify, read(Inputs.Verify), true),
    ...(rawSha && { expectedManifestSha256: rawSha.toLowerCase() }),
    allowPartial: bool(p, Inputs.AllowPartial, read(Inputs.AllowPartial), false),
    planDir: join(env.RUNNER_TEMP || tmpdir(), 'keyvault-restore')
  }
  p.throwIfAny()
  return settings
}

function parseSource(read: InputReader, env: NodeJS.ProcessEnv, p: Problems): RestoreSource {
  const rawPath = read(Inputs.Path)
  const name = read(Inputs.ArtifactName)
  const runId = read(Inputs.RunId)
  const runBranch = read(Inputs.RunBranch)
  const repository = read(Inputs.Repository)
  const token = read(Inputs.GithubToken)
  if (rawPath) {
    for (const other of [Inputs.ArtifactName, Inputs.RunId, Inputs.Repository] as const) {
      if (read(other)) {
        p.add(
          `Inputs '${Inputs.Path}' and '${other}' cannot be used together: restore reads either a local folder ('path') or an artifact ('${Inputs.ArtifactName}')`
        )
      }
    }
  } else if (!name) {
    p.add(
      `operation 'restore' needs a source: set '${Inputs.ArtifactName}' (the backup artifact) or '${Inputs.Path}' (a local backup folder)`
    )
  }
  if (ARTIFACT_FORBIDDEN.test(name)) {
    p.add(
      `Invalid value for '${Inputs.ArtifactName}': ${quote(name)}. It must not contain " : < > | * ? \\ / or line breaks`
    )
  }
  if (runId && runId !== 'latest' && !RUN_ID.test(runId)) {
    p.add(`Invalid value for '${Inputs.RunId}': ${quote(runId)}. Expected a run id (digits) or 'latest'`)
  }
  if (runBranch && runId !== 'latest') {
    p.add(
      `Input '${Inputs.RunBranch}' needs '${Inputs.RunId}: latest': it says which branch's runs 'latest' trusts`
    )
  }
  if (runBranch && runBranch !== '*' && !BRANCH.test(runBranch)) {
    p.add(
      `Invalid value for '${Inputs.RunBranch}': ${quote(runBranch)}. Expected a branch name, or '*' for any branch`
    )
  }
  if (repository && !REPOSITORY.test(repository)) {
    p.add(`Invalid value for '${Inputs.Repository}': ${quote(repository)}. Expected owner/name`)
  }
  if (repository && !runId && !rawPath) {
    p.add(
      `Input '${Inputs.Repository}' needs '${Inputs.RunId}' (a run id or 'latest'): the current run belongs to this repository`
    )
  }
  if (runId && !token && !rawPath) {
    p.add(
      `Input '${Inputs.RunId}' needs '${Inputs.GithubToken}' (a token with 'actions: read'), e.g. github-token: \${{ github.token }}`
    )
  }
  const repo = repository || env.GITHUB_REPOSITORY || ''
  if (rawPath) return { kind: 'path', path: absolutePath(rawPath) }
  if (runId === 'latest') {
    return {
      kind: 'artifact',
      artifact: { kind: 'latest', name, repository: repo, token, ...(runBranch && { branch: runBranch }) }
    }
  }
  if (runId) {
    return {
      kind: 'artifact',
      artifact: { kind: 'run', name, runId: Number(runId), repository: repo, token }
    }
  }
  return { kind: 'artifact', artifact: { kind: 'current-run', name } }
}
