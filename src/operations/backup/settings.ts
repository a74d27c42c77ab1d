import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CloudSettings, VaultTarget } from '../../core/cloud.js'
import type { SelectionFilter } from '../../core/selection.js'
import {
  absolutePath,
  ARTIFACT_FORBIDDEN,
  bool,
  Inputs,
  integer,
  parseCloud,
  parseConcurrency,
  parseFilter,
  parseIdentity,
  parseVault,
  Problems,
  quote,
  refuseOtherInputs,
  SOURCE_IDENTITY,
  splitLines,
  type CommonSettings,
  type Identity,
  type InputSource
} from '../../inputs.js'

/** How the artifacts are kept. */
export interface UploadSettings {
  retentionDays?: number
  compressionLevel: number
}

/** One vault to back up: its own folder and artifact. */
export interface BackupTarget {
  vault: VaultTarget
  /** Absolute folder for manifest.json and the blobs. */
  path: string
  /** The artifact's name (when uploading). */
  artifactName: string
}

/** What a backup needs, from the action's inputs or the CLI's options. */
export interface BackupSettings extends CommonSettings {
  operation: 'backup'
  /** One or several vaults (one per line of `vault`), each backed up on its own. */
  targets: BackupTarget[]
  /** Vaults backed up at once (1-4). */
  vaultConcurrency: number
  identity: Identity
  filter: SelectionFilter
  concurrency: number
  dryRun: boolean
  /** Absent when only the folders are written (`upload: false`, and the CLI). */
  upload?: UploadSettings
}

/**
 * At most this many vaults at once: Key Vault's subscription-wide limit is five times a vault's, so
 * four vaults at full pace leave a fifth of the subscription's budget to everyone else.
 */
export const MAX_VAULT_CONCURRENCY = 4

/** The inputs a backup takes; any other input with a value is refused. */
export const BACKUP_INPUTS: ReadonlySet<string> = new Set([
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
  Inputs.SkipDisabled,
  Inputs.ArtifactName,
  Inputs.RetentionDays,
  Inputs.CompressionLevel,
  Inputs.Upload,
  Inputs.Path,
  Inputs.Concurrency,
  Inputs.VaultConcurrency,
  Inputs.FailOnError,
  Inputs.DryRun
])

const UPLOAD_ONLY = [Inputs.ArtifactName, Inputs.RetentionDays, Inputs.CompressionLevel] as const

/**
 * Parses a backup's inputs. `read` returns a raw input by its action.yml name; `env` supplies
 * RUNNER_TEMP (the default folder) and AZURE_CLIENT_ID / AZURE_TENANT_ID. Throws one error naming
 * every bad input.
 */
export function parseBackupSettings(source: InputSource): BackupSettings {
  const { read, env } = source
  const p = new Problems()
  refuseOtherInputs(read, p, 'backup', BACKUP_INPUTS)
  const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud')
  const vaults = parseVaultLines(p, read(Inputs.Vault), cloud)
  const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
    clientId: env.AZURE_CLIENT_ID,
    tenantId: env.AZURE_TENANT_ID
  })
  const upload = bool(p, Inputs.Upload, read(Inputs.Upload), true)
  if (!upload) {
    for (const name of UPLOAD_ONLY) {
      if (read(name))
        p.add(`Inputs '${Inputs.Upload}: false' and '${name}' cannot be used together: nothing is uploaded`)
    }
  }
  const artifactTemplate = read(Inputs.ArtifactName) || 'keyvault-backup-{vault}'
  if (vaults.length > 1 && !artifactTemplate.includes('{vault}')) {
    p.add(
      `Input '${Inputs.ArtifactName}' must hold '{vault}' when '${Inputs.Vault}' lists several vaults: each vault gets its own artifact (e.g. kv-{vault}-nightly)`
    )
  }
  const artifactName = (vault: VaultTarget) => artifactTemplate.replaceAll('{vault}', vault.name)
  const shown = artifactName(vaults[0] ?? { url: '', name: 'vault', knownHost: true })
  if (ARTIFACT_FORBIDDEN.test(shown)) {
    p.add(
      `Invalid value for '${Inputs.ArtifactName}': ${quote(artifactTemplate)}. It must not contain " : < > | * ? \\ / or line breaks`
    )
  }
  const retentionDays = integer(p, Inputs.RetentionDays, read(Inputs.RetentionDays), 1, 90)
  const compressionLevel = integer(p, Inputs.CompressionLevel, read(Inputs.CompressionLevel), 0, 9) ?? 0
  const rawPath = read(Inputs.Path)
  // One vault: `path` is its folder. Several: `path` holds a folder per vault.
  const folderOf = (vault: VaultTarget): string =>
    rawPath
      ? vaults.length > 1
        ? join(absolutePath(rawPath), vault.name)
        : absolutePath(rawPath)
      : join(env.RUNNER_TEMP || tmpdir(), 'keyvault-backup', vault.name)
  const settings: BackupSettings = {
    operation: 'backup',
    targets: vaults.map(vault => ({ vault, path: folderOf(vault), artifactName: artifactName(vault) })),
    vaultConcurrency:
      integer(p, Inputs.VaultConcurrency, read(Inputs.VaultConcurrency), 1, MAX_VAULT_CONCURRENCY) ?? 1,
    identity,
    filter: parseFilter(read, p),
    concurrency: parseConcurrency(read, p),
    failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
    dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false),
    ...(upload && {
      upload: { ...(retentionDays !== undefined && { retentionDays }), compressionLevel }
    })
  }
  p.throwIfAny()
  return settings
}

/** The `vault` input's lines: one vault each (a name or an https URL), no vault twice. */
function parseVaultLines(p: Problems, raw: string, cloud: CloudSettings): VaultTarget[] {
  const lines = splitLines(raw)
  if (lines.length === 0) return [parseVault(p, Inputs.Vault, '', cloud)].filter((v): v is VaultTarget => !!v)
  const vaults = lines
    .map(line => parseVault(p, Inputs.Vault, line, cloud))
    .filter((v): v is VaultTarget => !!v)
  // By name: a vault's name is its folder and its artifact's, whichever URL reaches it.
  const seen = new Set<string>()
  for (const vault of vaults) {
    const key = vault.name.toLowerCase()
    if (seen.has(key)) p.add(`Input '${Inputs.Vault}' lists vault '${vault.name}' twice`)
    seen.add(key)
  }
  return vaults
}
