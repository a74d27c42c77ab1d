import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { VaultTarget } from '../../core/cloud.js'
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
  type CommonSettings,
  type Identity,
  type InputSource
} from '../../inputs.js'

/** The artifact a backup uploads. */
export interface UploadSettings {
  name: string
  retentionDays?: number
  compressionLevel: number
}

/** What a backup needs, from the action's inputs or the CLI's options. */
export interface BackupSettings extends CommonSettings {
  operation: 'backup'
  vault: VaultTarget
  identity: Identity
  filter: SelectionFilter
  /** Absolute folder for manifest.json and the blobs. */
  path: string
  concurrency: number
  dryRun: boolean
  /** Absent when only the folder is written (`upload: false`, and the CLI). */
  upload?: UploadSettings
}

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
  const vault = parseVault(p, Inputs.Vault, read(Inputs.Vault), cloud)
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
  const artifactName = read(Inputs.ArtifactName) || `keyvault-backup-${vault?.name ?? 'vault'}`
  if (ARTIFACT_FORBIDDEN.test(artifactName)) {
    p.add(
      `Invalid value for '${Inputs.ArtifactName}': ${quote(artifactName)}. It must not contain " : < > | * ? \\ / or line breaks`
    )
  }
  const retentionDays = integer(p, Inputs.RetentionDays, read(Inputs.RetentionDays), 1, 90)
  const compressionLevel = integer(p, Inputs.CompressionLevel, read(Inputs.CompressionLevel), 0, 9) ?? 0
  const settings: BackupSettings = {
    operation: 'backup',
    vault: vault ?? { url: '', name: '', knownHost: true },
    identity,
    filter: parseFilter(read, p),
    path: read(Inputs.Path)
      ? absolutePath(read(Inputs.Path))
      : join(env.RUNNER_TEMP || tmpdir(), 'keyvault-backup', vault?.name ?? 'vault'),
    concurrency: parseConcurrency(read, p),
    failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
    dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false),
    ...(upload && {
      upload: {
        name: artifactName,
        ...(retentionDays !== undefined && { retentionDays }),
        compressionLevel
      }
    })
  }
  p.throwIfAny()
  return settings
}
