import { parseArgs } from 'node:util'
import { Inputs } from '../../inputs.js'
import { runOperation, type Host } from '../../lifecycle.js'
import { restoreOperation } from './job.js'
import { parseRestoreSettings } from './settings.js'
import { tallyRestore } from './summary.js'

export const RESTORE_USAGE = `Usage: keyvault-backup restore --vault NAME|URL --from DIR [--plan] [options]

  --vault NAME|URL        the target vault                                  (required)
  --from DIR              a backup folder (manifest.json and blobs)          (required)
  --plan                  print the plan and stop (same as the action's dry-run)
  --if-exists POLICY      skip (default), fail, replace
  --if-deleted POLICY     fail (default), skip, recover, purge
  --manifest-sha256 HEX   refuse a backup whose manifest.json has another SHA-256
  --allow-partial         restore what an incomplete backup holds
  --no-verify             skip the check after restoring
  --types, --include, --exclude, --tag, --concurrency, --environment, --auth, --tenant-id, --verbose as for backup`

/** `keyvault-backup restore --vault Y --from DIR [--plan]`: the action's restore over a local folder. */
export async function restoreCommand(args: string[], host: Host & { failed: boolean }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      vault: { type: 'string' },
      from: { type: 'string' },
      plan: { type: 'boolean' },
      'if-exists': { type: 'string' },
      'if-deleted': { type: 'string' },
      'manifest-sha256': { type: 'string' },
      'allow-partial': { type: 'boolean' },
      'no-verify': { type: 'boolean' },
      environment: { type: 'string' },
      auth: { type: 'string' },
      'tenant-id': { type: 'string' },
      types: { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      verbose: { type: 'boolean' }
    }
  })
  if (!values.from) throw new Error('--from is required (the backup folder)')
  const raw: Record<string, string> = {
    [Inputs.Vault]: values.vault ?? '',
    [Inputs.Path]: values.from,
    [Inputs.Environment]: values.environment ?? '',
    [Inputs.Auth]: values.auth ?? '',
    [Inputs.TenantId]: values['tenant-id'] ?? '',
    [Inputs.Types]: values.types ?? '',
    [Inputs.Include]: (values.include ?? []).join('\n'),
    [Inputs.Exclude]: (values.exclude ?? []).join('\n'),
    [Inputs.Tags]: (values.tag ?? []).join('\n'),
    [Inputs.Concurrency]: values.concurrency ?? '',
    [Inputs.DryRun]: values.plan ? 'true' : '',
    [Inputs.IfExists]: values['if-exists'] ?? '',
    [Inputs.IfDeleted]: values['if-deleted'] ?? '',
    [Inputs.ManifestSha256]: values['manifest-sha256'] ?? '',
    [Inputs.AllowPartial]: values['allow-partial'] ? 'true' : '',
    [Inputs.Verify]: values['no-verify'] ? 'false' : ''
  }
  const settings = parseRestoreSettings({ read: name => raw[name] ?? '', env: process.env, cli: true })
  const report = await runOperation(host, restoreOperation, settings)
  const t = tallyRestore(report.outcomes)
  console.log(
    settings.dryRun
      ? `plan only: ${t.planned} items planned (plan file: ${report.planPath ?? 'none'})`
      : `restored ${t.restored}, recovered ${t.recovered}, skipped ${t.skipped}, failed ${t.failed} (plan file: ${report.planPath ?? 'none'})`
  )
  return host.failed ? 1 : 0
}
