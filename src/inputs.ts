import { isAbsolute, resolve } from 'node:path'
import { CLOUDS, resolveVault, type CloudName, type CloudSettings, type VaultTarget } from './core/cloud.js'
import { errorMessage } from './core/errors.js'
import type { AuthMethod, Identity } from './core/identity.js'
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
  VaultConcurrency: 'vault-concurrency',
  FailOnError: 'fail-on-error',
  DryRun: 'dry-run',
  RunId: 'run-id',
  RunBranch: 'run-branch',
  Repository: 'repository',
  GithubToken: 'github-token',
  ManifestSha256: 'manifest-sha256',
  AllowPartial: 'allow-partial',
  IfExists: 'if-exists',
  IfDeleted: 'if-deleted',
  Verify: 'verify',
  TargetVault: 'target-vault',
  TargetEnvironment: 'target-environment',
  TargetAuth: 'target-auth',
  TargetTenantId: 'target-tenant-id',
  TargetClientId: 'target-client-id',
  TargetAudience: 'target-audience',
  Rename: 'rename',
  Versions: 'versions',
  Subscriptions: 'subscriptions',
  VaultInclude: 'vault-include',
  VaultExclude: 'vault-exclude',
  VaultTags: 'vault-tags',
  ResourceGroups: 'resource-groups',
  Locations: 'locations',
  MaxJobs: 'max-jobs'
} as const

export type InputName = (typeof Inputs)[keyof typeof Inputs]

/** Every output name of action.yml. */
export const Outputs = {
  ArtifactId: 'artifact-id',
  ArtifactUrl: 'artifact-url',
  ArtifactDigest: 'artifact-digest',
  BackupPath: 'backup-path',
  ManifestSha256: 'manifest-sha256',
  Complete: 'complete',
  BackedUp: 'backed-up',
  Skipped: 'skipped',
  Failed: 'failed',
  Restored: 'restored',
  Recovered: 'recovered',
  Copied: 'copied',
  Unchanged: 'unchanged',
  PlanPath: 'plan-path',
  Vaults: 'vaults',
  Count: 'count',
  Matrix: 'matrix',
  Results: 'results'
} as const

/** Returns the raw (trimmed) value of an input; empty when not given. */
export type InputReader = (name: string) => string

/** Where settings come from: the action's inputs, or the CLI's options mapped to input names. */
export interface InputSource {
  read: InputReader
  /** RUNNER_TEMP, GITHUB_REPOSITORY, AZURE_CLIENT_ID, AZURE_TENANT_ID. */
  env: NodeJS.ProcessEnv
  /** The CLI signs in with DefaultAzureCredential unless told otherwise. */
  cli?: boolean
}

export type { AuthMethod, Identity } from './core/identity.js'

/** Inputs every operation reads. */
export interface CommonSettings {
  failOnError: boolean
}

export const DEFAULT_CONCURRENCY = 32
export const MAX_CONCURRENCY = 64
const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[]
const ACTION_AUTH_METHODS: AuthMethod[] = ['oidc', 'azure-cli', 'managed-identity']
const PATTERN = /^[0-9a-zA-Z*?-]+$/
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** A tenant may also be named by one of its verified domains, e.g. contoso.onmicrosoft.com. */
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i
export const ARTIFACT_FORBIDDEN = /[":<>|*?\r\n\\/]/

/** Collects every problem so the user fixes them all in one go. */
export class Problems {
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

/** A value quoted for an error message. */
export const quote = (value: string): string => JSON.stringify(value)

export function oneOf<T extends string>(
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

export function bool(p: Problems, name: string, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE'].includes(raw)) return false
  p.add(`Invalid value for '${name}': ${quote(raw)}. Valid options are: true, false`)
  return fallback
}

export function integer(
  p: Problems,
  name: string,
  raw: string,
  min: number,
  max: number
): number | undefined {
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

/** Splits a multi-line input into its lines, dropping blanks and `#` comment lines. */
export function splitLines(raw: string): string[] {
  return raw
    .split('\n')
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
  return splitLines(raw).flatMap(line => {
    const eq = line.indexOf('=')
    if (eq <= 0) return p.add(`Invalid line in '${Inputs.Tags}': ${quote(line)}. Expected key=value`) ?? []
    return [{ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() }]
  })
}

function itemTypes(p: Problems, raw: string, fallback: readonly ItemType[]): ItemType[] {
  const list = splitList(raw).map(t => t.toLowerCase())
  if (list.length === 0) return [...fallback]
  const bad = list.filter(t => !ITEM_TYPES.includes(t as ItemType))
  if (bad.length > 0) {
    p.add(
      `Invalid value for '${Inputs.Types}': ${quote(bad.join(', '))}. Valid options are: ${ITEM_TYPES.join(', ')}`
    )
  }
  return ITEM_TYPES.filter(t => list.includes(t))
}

/**
 * The selection inputs: `types` (default `defaultTypes`), `include`, `exclude`, `tags`, and
 * `skip-disabled` where the operation takes it.
 */
export function parseFilter(
  read: InputReader,
  p: Problems,
  defaultTypes: readonly ItemType[] = ITEM_TYPES
): SelectionFilter {
  const include = patterns(p, Inputs.Include, read(Inputs.Include))
  const exclude = patterns(p, Inputs.Exclude, read(Inputs.Exclude))
  const both = include.filter(x => exclude.some(y => y.toLowerCase() === x.toLowerCase()))
  if (both.length > 0) {
    p.add(
      `Inputs '${Inputs.Include}' and '${Inputs.Exclude}' both list ${both.map(quote).join(', ')}; keep it in one`
    )
  }
  return {
    types: itemTypes(p, read(Inputs.Types), defaultTypes),
    include,
    exclude,
    tags: tagFilters(p, read(Inputs.Tags)),
    skipDisabled: bool(p, Inputs.SkipDisabled, read(Inputs.SkipDisabled), false)
  }
}

/** The cloud named by an `environment`-like input. */
export function parseCloud(p: Problems, name: string, raw: string, fallback: CloudName): CloudSettings {
  return CLOUDS[oneOf(p, name, raw, CLOUD_NAMES, fallback)]
}

/**
 * A vault input: a name (resolved in `cloud`) or an https:// URL. The error never repeats a URL's
 * credentials or query string.
 */
export function parseVault(
  p: Problems,
  name: string,
  raw: string,
  cloud: CloudSettings
): VaultTarget | undefined {
  if (raw === '') return p.add(`Input '${name}' is required: a vault name (e.g. 'prod') or an https:// URL`)
  try {
    return resolveVault(raw, cloud)
  } catch (error) {
    return p.add(`Invalid value for '${name}': ${errorMessage(error)}`)
  }
}

/** The names of one side's sign-in inputs (the source's, or a copy target's `target-*`). */
export interface IdentityInputs {
  auth: string
  clientId: string
  tenantId: string
  audience: string
}

export const SOURCE_IDENTITY: IdentityInputs = {
  auth: Inputs.Auth,
  clientId: Inputs.ClientId,
  tenantId: Inputs.TenantId,
  audience: Inputs.Audience
}

/** A copy's target side: `target-*`, each defaulting to the source's. */
export const TARGET_IDENTITY: IdentityInputs = {
  auth: Inputs.TargetAuth,
  clientId: Inputs.TargetClientId,
  tenantId: Inputs.TargetTenantId,
  audience: Inputs.TargetAudience
}

/**
 * Reads who signs in. `client-id` and `tenant-id` fall back to `fallback` (for the source side:
 * AZURE_CLIENT_ID and AZURE_TENANT_ID); the audience to the cloud's default for OIDC.
 */
export function parseIdentity(
  source: InputSource,
  p: Problems,
  names: IdentityInputs,
  cloud: CloudSettings,
  fallback: Partial<Identity>
): Identity {
  const read = source.read
  const methods: AuthMethod[] = source.cli ? ['default', ...ACTION_AUTH_METHODS] : ACTION_AUTH_METHODS
  const method = oneOf(
    p,
    names.auth,
    read(names.auth),
    methods,
    fallback.method ?? (source.cli ? 'default' : 'oidc')
  )
  const clientId = read(names.clientId) || fallback.clientId || undefined
  const tenantId = read(names.tenantId) || fallback.tenantId || undefined
  if (clientId !== undefined && !GUID.test(clientId)) {
    p.add(
      `Invalid value for '${names.clientId}': ${quote(clientId)}. Expected the application (client) id, a GUID such as 00000000-0000-0000-0000-000000000000`
    )
  }
  if (tenantId !== undefined && !GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
    p.add(
      `Invalid value for '${names.tenantId}': ${quote(tenantId)}. Expected the directory (tenant) id, a GUID, or one of its domains such as contoso.onmicrosoft.com`
    )
  }
  if (method === 'oidc') {
    if (clientId === undefined)
      p.add(`Input '${names.clientId}' is required for auth 'oidc'${envHint(names)}`)
    if (tenantId === undefined)
      p.add(`Input '${names.tenantId}' is required for auth 'oidc'${envHint(names)}`)
  }
  const rawAudience = read(names.audience)
  if (rawAudience && method !== 'oidc') {
    p.add(
      `Inputs '${names.audience}' and '${names.auth}: ${method}' cannot be used together: the audience applies only to 'oidc'`
    )
  }
  const audience =
    rawAudience ||
    (fallback.audience && fallback.cloud?.name === cloud.name ? fallback.audience : cloud.defaultAudience)
  return {
    method,
    cloud,
    ...(clientId && { clientId }),
    ...(tenantId && { tenantId }),
    audience
  }
}

function envHint(names: IdentityInputs): string {
  return names === SOURCE_IDENTITY ? ' (or set AZURE_CLIENT_ID and AZURE_TENANT_ID)' : ''
}

/** The selection's options on the command line (backup and copy), as `parseArgs` declares them. */
export const SELECTION_CLI_OPTIONS = {
  types: { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  'skip-disabled': { type: 'boolean' },
  concurrency: { type: 'string' }
} as const

/** Those options' values as the action's inputs: repeated options become lines. */
export function selectionInputs(values: {
  types?: string
  include?: string[]
  exclude?: string[]
  tag?: string[]
  'skip-disabled'?: boolean
  concurrency?: string
}): Record<string, string> {
  return {
    [Inputs.Types]: values.types ?? '',
    [Inputs.Include]: (values.include ?? []).join('\n'),
    [Inputs.Exclude]: (values.exclude ?? []).join('\n'),
    [Inputs.Tags]: (values.tag ?? []).join('\n'),
    [Inputs.SkipDisabled]: values['skip-disabled'] ? 'true' : '',
    [Inputs.Concurrency]: values.concurrency ?? ''
  }
}

/** An absolute path for a path input (relative paths are taken from the working directory). */
export function absolutePath(raw: string): string {
  return isAbsolute(raw) ? raw : resolve(raw)
}

/** The starting parallelism (`concurrency`). */
export function parseConcurrency(read: InputReader, p: Problems): number {
  return integer(p, Inputs.Concurrency, read(Inputs.Concurrency), 1, MAX_CONCURRENCY) ?? DEFAULT_CONCURRENCY
}

/**
 * Refuses, rather than ignores, inputs the operation does not take: a value there is a mistake
 * (for example `upload: false` on a restore would do nothing). `github-token` is exempt: action.yml
 * gives it a default, so it always has a value.
 */
export function refuseOtherInputs(
  read: InputReader,
  p: Problems,
  operation: string,
  accepted: ReadonlySet<string>
): void {
  for (const name of Object.values(Inputs) as string[]) {
    if (name === Inputs.GithubToken || name === Inputs.Operation || accepted.has(name)) continue
    if (read(name) !== '') {
      p.add(`Input '${name}' does not apply to operation '${operation}'; remove it from this step`)
    }
  }
}
