import { createDefaultCredential } from './adapters/auth.js'
import { tallyRestore, type RestoreReport } from './core/restore-report.js'
import { Inputs, parseBackupSettings, parseRestoreOptions } from './inputs.js'
import { restoreFailureMessage } from './outputs.js'
import { restoreVault } from './restore-job.js'

export const RESTORE_USAGE = `Usage: keyvault-backup restore --vault NAME|URL --from DIR [--plan] [options]

  --vault NAME|URL        the target vault                                  (required)
  --from DIR              a backup folder (manifest.json and blobs)          (required)
  --plan                  print the plan and stop (same as the action's dry-run)
  --if-exists POLICY      skip (default), fail, replace
  --if-deleted POLICY     fail (default), skip, recover, purge
  --no-verify             skip the check after restoring
  --types, --include, --exclude, --tag, --concurrency, --environment, --verbose as for backup`

/** Parsed CLI values the restore command reads (a subset of node:util parseArgs output). */
export interface RestoreArgs {
  vault?: string
  from?: string
  plan?: boolean
  'if-exists'?: string
  'if-deleted'?: string
  'no-verify'?: boolean
  environment?: string
  types?: string
  include?: string[]
  exclude?: string[]
  tag?: string[]
  concurrency?: string
  verbose?: boolean
}

/** `keyvault-backup restore --vault Y --from DIR [--plan]`: the action's restore over a local folder. */
export async function restoreCommand(values: RestoreArgs): Promise<number> {
  if (!values.from) throw new Error('--from is required (the backup folder)')
  const raw: Record<string, string> = {
    [Inputs.Vault]: values.vault ?? '',
    [Inputs.Path]: values.from,
    [Inputs.Environment]: values.environment ?? '',
    [Inputs.Types]: values.types ?? '',
    [Inputs.Include]: (values.include ?? []).join('\n'),
    [Inputs.Exclude]: (values.exclude ?? []).join('\n'),
    [Inputs.Tags]: (values.tag ?? []).join('\n'),
    [Inputs.Concurrency]: values.concurrency ?? '',
    [Inputs.DryRun]: values.plan ? 'true' : '',
    [Inputs.IfExists]: values['if-exists'] ?? '',
    [Inputs.IfDeleted]: values['if-deleted'] ?? '',
    [Inputs.Verify]: values['no-verify'] ? 'false' : ''
  }
  const read = (name: string): string => raw[name] ?? ''
  const settings = { ...parseBackupSettings(read, process.env), ...parseRestoreOptions(read, process.env) }
  const log = {
    info: (m: string) => console.log(m),
    warning: (m: string) => console.warn(`warning: ${m}`),
    debug: (m: string) => (values.verbose ? console.log(m) : undefined)
  }
  const report: RestoreReport = {
    targetVault: settings.vault.url,
    source: '',
    dryRun: settings.dryRun,
    policy: settings.policy,
    filteredOut: 0,
    plan: [],
    outcomes: []
  }
  await restoreVault(settings, { credential: createDefaultCredential(settings.cloud), log }, report)
  const t = tallyRestore(report.outcomes)
  console.log(
    settings.dryRun
      ? `plan only: ${t.planned} items planned (plan file: ${report.planPath})`
      : `restored ${t.restored}, recovered ${t.recovered}, skipped ${t.skipped}, failed ${t.failed} (plan file: ${report.planPath})`
  )
  const failures = restoreFailureMessage(report)
  if (failures) console.error(failures)
  return failures ? 1 : 0
}
