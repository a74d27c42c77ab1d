import { parseArgs } from 'node:util'
import { DEFAULT_CONCURRENCY, Inputs, SELECTION_CLI_OPTIONS, selectionInputs } from '../../inputs.js'
import { runOperation, type Host } from '../../lifecycle.js'
import { backupOperation } from './job.js'
import { parseBackupSettings } from './settings.js'

export const BACKUP_USAGE = `Usage: keyvault-backup backup --vault NAME|URL --out DIR [options]

Options (same meaning as the action's inputs):
  --vault NAME|URL        vault name (e.g. prod) or https:// URL (required; repeatable: each vault
                          gets its own folder under --out)
  --out DIR               folder for manifest.json and the blobs           (required)
  --vault-concurrency N   with several vaults, how many at once (1-4, default 1)
  --environment CLOUD     AzureCloud (default), AzureUSGovernment, AzureChinaCloud
  --auth METHOD           default (DefaultAzureCredential), azure-cli, managed-identity
  --tenant-id ID          the tenant to sign in to
  --types LIST            comma list of secrets, keys, certificates (default all)
  --include GLOB          name glob to include (repeatable)
  --exclude GLOB          name glob to exclude (repeatable)
  --tag KEY=VALUE         tag an item must carry (repeatable)
  --skip-disabled         skip disabled items
  --concurrency N         starting parallelism (default ${DEFAULT_CONCURRENCY})
  --dry-run               list what would be backed up; no backup call
  --verbose               log each retry

Signs in with DefaultAzureCredential (environment variables, workload identity, managed identity, az login).`

/** `keyvault-backup backup`: the action's backup, writing the folder only (no artifact). */
export async function backupCommand(args: string[], host: Host & { failed: boolean }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      vault: { type: 'string', multiple: true },
      'vault-concurrency': { type: 'string' },
      out: { type: 'string' },
      environment: { type: 'string' },
      auth: { type: 'string' },
      'tenant-id': { type: 'string' },
      ...SELECTION_CLI_OPTIONS,
      'dry-run': { type: 'boolean' },
      verbose: { type: 'boolean' }
    }
  })
  if (!values.out && !values['dry-run']) throw new Error('--out is required (the folder to write)')
  const raw: Record<string, string> = {
    [Inputs.Vault]: (values.vault ?? []).join('\n'),
    [Inputs.VaultConcurrency]: values['vault-concurrency'] ?? '',
    [Inputs.Path]: values.out ?? '',
    [Inputs.Environment]: values.environment ?? '',
    [Inputs.Auth]: values.auth ?? '',
    [Inputs.TenantId]: values['tenant-id'] ?? '',
    ...selectionInputs(values),
    [Inputs.DryRun]: values['dry-run'] ? 'true' : '',
    [Inputs.Upload]: 'false'
  }
  const settings = parseBackupSettings({ read: name => raw[name] ?? '', env: process.env, cli: true })
  const report = await runOperation(host, backupOperation, settings)
  const out = backupOperation.outputs(report)
  const done = settings.dryRun ? 'would back up' : 'backed up'
  const count = report.vaults
    .flatMap(v => v.outcomes)
    .filter(o => o.status === 'backed-up' || o.status === 'planned').length
  console.log(
    `${done} ${count}, skipped ${out.skipped}, failed ${out.failed}` +
      (out.complete === 'false' ? ' (incomplete backup)' : '')
  )
  for (const v of report.vaults) {
    if (v.backupPath) console.log(`Folder: ${v.backupPath}\nManifest SHA-256: ${v.manifestSha256}`)
  }
  return host.failed ? 1 : 0
}
