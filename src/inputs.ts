import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import type { ArtifactSource } from './adapters/artifact.js'
import type { AuthMethod } from './adapters/auth.js'
import { CLOUDS, resolveVault, type CloudName, type CloudSettings, type VaultTarget } from './core/cloud.js'
import { IF_DELETED, IF_EXISTS, type ConflictPolicy } from './core/plan.js'
import type { SelectionFilter, TagFilter } from './core/selection.js'
import { ITEM_TYPES, type ItemType } from './core/types.js'

/** Every input name of action.yml: a contract, so they live in one place. */
export const Inputs = {
  Operation: 'operation',
  Vault: 'vault',
  Environment: 'environment',
  Auth: 'auth',
  ClientId: 'client-id',
  TenantId: 'tenant-id',
  Audience: 'audience',
  Types: 'types',
  Include: 'include',
  Exclude: 'exclude',
  Tags: 'tags',
  SkipDisabled: 'skip-disabled',
  ArtifactName: 'artifact-name',
  RetentionDays: 'retention-days',
  CompressionLevel: 'compression-level',
  Upload: 'upload',
  Path: 'path',
  Concurrency: 'concurrency',
  FailOnError: 'fail-on-error',
  DryRun: 'dry-run',
  RunId: 'run-id',
  Repository: 'repository',
  GithubToken: 'github-token',
  IfExists: 'if-exists',
  IfDeleted: 'if-deleted',
  Verify: 'verify'
} as const

/** Every output name of action.yml. */
export const Outputs = {
  ArtifactId: 'artifact-id',
  ArtifactUrl: 'artifact-url',
  ArtifactDigest: 'artifact-digest',
  BackupPath: 'backup-path',
  ManifestSha256: 'manifest-sha256',
  BackedUp: 'backed-up',
  Skipped: 'skipped',
  Failed: 'failed',
  Restored: 'restored',
  Recovered: 'recovered',
  PlanPath: 'plan-path'
} as const

/** What backup needs, shared by the action and the CLI. */
export interface BackupSettings {
  vault: VaultTarget
  cloud: CloudSettings
  filter: SelectionFilter
  /** Absolute folder for manifest.json and the blobs. */
  path: string
  concurrency: number
  failOnError: boolean
  dryRun: boolean
}

/** Where a restore reads its backup from. */
export type RestoreSource = { kind: 'path'; path: string } | { kind: 'artifact'; artifact: ArtifactSource }

/** What restore needs besides the shared settings (`vault` is the target; the filters select from the backup). */
export interface RestoreOptions {
  source: RestoreSource
  policy: ConflictPolicy
  verify: boolean
  /** A folder for the download and the plan file (under RUNNER_TEMP). */
  workDir: string
}

/** The action's inputs, typed and validated. */
export interface ActionInputs extends BackupSettings {
  operation: 'backup' | 'restore'
  /** Present when operation is restore. */
  restore?: RestoreOptions
  auth: AuthMethod
  clientId?: string
  tenantId?: string
  audience: string
  artifactName: string
  retentionDays?: number
  compressionLevel: number
  upload: boolean
}

/** Returns the raw (trimmed) value of an input; empty when not given. */
export type InputReader = (name: string) => string

const fromRunner: InputReader = name => core.getInput(name)

export const DEFAULT_CONCURRENCY = 32
const MAX_CONCURRENCY = 64
const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[]
const AUTH_METHODS: AuthMethod[] = ['oidc', 'azure-cli', 'managed-identity']
const PATTERN = /^[0-9a-zA-Z*?-]+$/
const ID = /^[0-9a-zA-Z.-]+$/
const ARTIFACT_FORBIDDEN = /[":<>|*?\r\n\\/]/

/** Collects every problem so the user fixes them all in one go. */
class Problems {
  readonly list: string[] = []
  add(message: string): undefined {
    this.list.push(message)
    return undefined
  }
  throwIfAny(): void {
    if (this.list.length === 1) throw new Error(this.list[0])
    if (this.list.length > 1) throw new Error(`Invalid inputs:\n- ${this.list.join('\n- ')}`)
  }
}

const quote = (value: string): string => JSON.stringify(value)

function oneOf<T extends string>(
  p: Problems,
  name: string,
  raw: string,
  allowed: readonly T[],
  fallback: T
): T {
  if (raw === '') return fallback
  const match = allowed.find(a => a.toLowerCase() === raw.toLowerCase())
  return (
    match ??
    (p.add(`Invalid value for '${name}': ${quote(raw)}. Valid options are: ${allowed.join(', ')}`) ||
      fallback)
  )
}

function bool(p: Problems, name: string, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE'].includes(raw)) return false
  p.add(`Invalid value for '${name}': ${quote(raw)}. Valid options are: true, false`)
  return fallback
}

function integer(p: Problems, name: string, raw: string, min: number, max: number): number | undefined {
  if (raw === '') return undefined
  const value = Number(raw)
  if (/^\d+$/.test(raw) && value >= min && value <= max) return value
  return p.add(`Invalid value for '${name}': ${quote(raw)}. Expected a whole number from ${min} to ${max}`)
}

/** Splits a list input on newlines and commas, dropping blanks and `#` comment lines. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map(s => s.trim())
    .filter(s => s !== '' && !s.startsWith('#'))
}

function patterns(p: Problems, name: string, raw: string): string[] {
  const list = splitList(raw)
  for (const pattern of list) {
    if (!PATTERN.test(pattern)) {
      p.add(
        `Invalid pattern in '${name}': ${quote(pattern)}. Names hold letters, digits and '-'; patterns may add '*' and '?'`
      )
    }
  }
  return list
}

function tagFilters(p: Problems, raw: string): TagFilter[] {
  const lines = raw
    .split('\n')
    .map(s => s.trim())
    .filter(s => s !== '' && !s.startsWith('#'))
  return lines.flatMap(line => {
    const eq = line.indexOf('=')
    if (eq <= 0) return p.add(`Invalid line in '${Inputs.Tags}': ${quote(line)}. Expected key=value`) ?? []
    return [{ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() }]
  })
}

function itemTypes(p: Problems, raw: string): ItemType[] {
  const list = splitList(raw).map(t => t.toLowerCase())
  if (list.length === 0) return [...ITEM_TYPES]
  const bad = list.filter(t => !ITEM_TYPES.includes(t as ItemType))
  if (bad.length > 0) {
    p.add(
      `Invalid value for '${Inputs.Types}': ${quote(bad.join(', '))}. Valid options are: ${ITEM_TYPES.join(', ')}`
    )
  }
  return ITEM_TYPES.filter(t => list.includes(t))
}

/**
 * Parses the inputs backup shares with the CLI. `read` returns a raw input by action.yml name;
 * `env` supplies RUNNER_TEMP for the default path. Throws one error naming every bad input.
 */
export function parseBackupSettings(read: InputReader, env: NodeJS.ProcessEnv): BackupSettings {
  const p = new Problems()
  const settings = backupSettings(read, env, p)
  p.throwIfAny()
  return settings
}

function backupSettings(read: InputReader, env: NodeJS.ProcessEnv, p: Problems): BackupSettings {
  const cloud = CLOUDS[oneOf(p, Inputs.Environment, read(Inputs.Environment), CLOUD_NAMES, 'AzureCloud')]
  let vault: VaultTarget = { url: '', name: '', knownHost: true }
  const rawVault = read(Inputs.Vault)
  if (rawVault === '')
    p.add(`Input '${Inputs.Vault}' is required: a vault name (e.g. 'prod') or an https:// URL`)
  else {
    try {
      vault = resolveVault(rawVault, cloud)
    } catch (error) {
      p.add(`Invalid value for '${Inputs.Vault}': ${(error as Error).message}`)
    }
  }
  const include = patterns(p, Inputs.Include, read(Inputs.Include))
  const exclude = patterns(p, Inputs.Exclude, read(Inputs.Exclude))
  const both = include.filter(x => exclude.some(y => y.toLowerCase() === x.toLowerCase()))
  if (both.length > 0) {
    p.add(
      `Inputs '${Inputs.Include}' and '${Inputs.Exclude}' both list ${both.map(quote).join(', ')}; keep it in one`
    )
  }
  const filter: SelectionFilter = {
    types: itemTypes(p, read(Inputs.Types)),
    include,
    exclude,
    tags: tagFilters(p, read(Inputs.Tags)),
    skipDisabled: bool(p, Inputs.SkipDisabled, read(Inputs.SkipDisabled), false)
  }
  const rawPath = read(Inputs.Path)
  const base = env.RUNNER_TEMP || tmpdir()
  const path = rawPath
    ? isAbsolute(rawPath)
      ? rawPath
      : resolve(rawPath)
    : join(base, 'keyvault-backup', vault.name)
  return {
    vault,
    cloud,
    filter,
    path,
    concurrency:
      integer(p, Inputs.Concurrency, read(Inputs.Concurrency), 1, MAX_CONCURRENCY) ?? DEFAULT_CONCURRENCY,
    failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
    dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false)
  }
}

const RUN_ID = /^[1-9]\d{0,19}$/
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/

/**
 * Parses the restore inputs: the source (`path`, or `artifact-name` with `run-id`, `repository`,
 * `github-token`), the two conflict policies and `verify`. Contradictions are reported together.
 * `env` supplies GITHUB_REPOSITORY and RUNNER_TEMP.
 */
export function parseRestoreOptions(read: InputReader, env: NodeJS.ProcessEnv): RestoreOptions {
  const p = new Problems()
  const options = restoreOptions(read, env, p)
  p.throwIfAny()
  return options
}

function restoreOptions(read: InputReader, env: NodeJS.ProcessEnv, p: Problems): RestoreOptions {
  const rawPath = read(Inputs.Path)
  const name = read(Inputs.ArtifactName)
  const runId = read(Inputs.RunId)
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
  const policy: ConflictPolicy = {
    ifExists: oneOf(p, Inputs.IfExists, read(Inputs.IfExists), IF_EXISTS, 'skip'),
    ifDeleted: oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), IF_DELETED, 'fail')
  }
  const verify = bool(p, Inputs.Verify, read(Inputs.Verify), true)
  const workDir = join(env.RUNNER_TEMP || tmpdir(), 'keyvault-restore')
  const repo = repository || env.GITHUB_REPOSITORY || ''
  let source: RestoreSource
  if (rawPath) source = { kind: 'path', path: isAbsolute(rawPath) ? rawPath : resolve(rawPath) }
  else if (runId === 'latest')
    source = { kind: 'artifact', artifact: { kind: 'latest', name, repository: repo, token } }
  else if (runId) {
    source = {
      kind: 'artifact',
      artifact: { kind: 'run', name, runId: Number(runId), repository: repo, token }
    }
  } else source = { kind: 'artifact', artifact: { kind: 'current-run', name } }
  return { source, policy, verify, workDir }
}

/**
 * Reads and validates every action input (the only caller of `core.getInput`). `client-id` and
 * `tenant-id` fall back to AZURE_CLIENT_ID and AZURE_TENANT_ID; the audience to the cloud's default.
 */
export function readInputs(
  read: InputReader = fromRunner,
  env: NodeJS.ProcessEnv = process.env
): ActionInputs {
  const p = new Problems()
  const operation = oneOf(
    p,
    Inputs.Operation,
    read(Inputs.Operation),
    ['backup', 'restore'] as const,
    'backup'
  )
  const settings = backupSettings(read, env, p)
  const auth = oneOf(p, Inputs.Auth, read(Inputs.Auth), AUTH_METHODS, 'oidc')
  const clientId = read(Inputs.ClientId) || env.AZURE_CLIENT_ID || undefined
  const tenantId = read(Inputs.TenantId) || env.AZURE_TENANT_ID || undefined
  for (const [name, value] of [
    [Inputs.ClientId, clientId],
    [Inputs.TenantId, tenantId]
  ] as const) {
    if (value !== undefined && !ID.test(value))
      p.add(`Invalid value for '${name}': ${quote(value)}. Expected a GUID`)
    if (value === undefined && auth === 'oidc') {
      p.add(
        `Input '${name}' is required for auth 'oidc' (or set ${name === Inputs.ClientId ? 'AZURE_CLIENT_ID' : 'AZURE_TENANT_ID'})`
      )
    }
  }
  const rawAudience = read(Inputs.Audience)
  if (rawAudience && auth !== 'oidc') {
    p.add(
      `Inputs '${Inputs.Audience}' and '${Inputs.Auth}: ${auth}' cannot be used together: the audience applies only to 'oidc'`
    )
  }
  const restore = operation === 'restore' ? restoreOptions(read, env, p) : undefined
  if (!restore) {
    // Restore-only inputs: the source inputs have no default, so any value is a mistake; the
    // policies have defaults in action.yml, so only their values are checked.
    for (const name of [Inputs.RunId, Inputs.Repository] as const) {
      if (read(name)) p.add(`Input '${name}' applies only when 'operation' is restore; this step is a backup`)
    }
    oneOf(p, Inputs.IfExists, read(Inputs.IfExists), IF_EXISTS, 'skip')
    oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), IF_DELETED, 'fail')
    bool(p, Inputs.Verify, read(Inputs.Verify), true)
  }
  const artifactName = read(Inputs.ArtifactName) || `keyvault-backup-${settings.vault.name}`
  if (!restore && ARTIFACT_FORBIDDEN.test(artifactName)) {
    p.add(
      `Invalid value for '${Inputs.ArtifactName}': ${quote(artifactName)}. It must not contain " : < > | * ? \\ / or line breaks`
    )
  }
  const retentionDays = integer(p, Inputs.RetentionDays, read(Inputs.RetentionDays), 1, 90)
  const compressionLevel = integer(p, Inputs.CompressionLevel, read(Inputs.CompressionLevel), 0, 9) ?? 0
  const upload = bool(p, Inputs.Upload, read(Inputs.Upload), true)
  p.throwIfAny()
  return {
    ...settings,
    operation,
    ...(restore && { restore }),
    auth,
    ...(clientId && { clientId }),
    ...(tenantId && { tenantId }),
    audience: rawAudience || settings.cloud.defaultAudience,
    artifactName,
    ...(retentionDays !== undefined && { retentionDays }),
    compressionLevel,
    upload
  }
}
