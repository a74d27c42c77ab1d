#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createDefaultCredential } from './adapters/auth.js'
import { routeSdkLog } from './adapters/sdk-log.js'
import { backupVault } from './backup-job.js'
import { errorMessage } from './core/errors.js'
import { tallyOutcomes } from './core/outcomes.js'
import { DEFAULT_CONCURRENCY, Inputs, parseBackupSettings } from './inputs.js'
import { failureMessage } from './outputs.js'
import { RESTORE_USAGE, restoreCommand } from './cli-restore.js'

const USAGE = `Usage: keyvault-backup backup --vault NAME|URL --out DIR [options]

Options (same meaning as the action's inputs):
  --vault NAME|URL        vault name (e.g. prod) or https:// URL            (required)
  --out DIR               folder for manifest.json and the blobs           (required)
  --environment CLOUD     AzureCloud (default), AzureUSGovernment, AzureChinaCloud
  --types LIST            comma list of secrets, keys, certificates (default all)
  --include GLOB          name glob to include (repeatable)
  --exclude GLOB          name glob to exclude (repeatable)
  --tag KEY=VALUE         tag an item must carry (repeatable)
  --skip-disabled         skip disabled items
  --concurrency N         starting parallelism (default ${DEFAULT_CONCURRENCY})
  --dry-run               list what would be backed up; no backup call
  --verbose               log each retry and item

Signs in with DefaultAzureCredential (environment variables, workload identity, managed identity, az login).`

/** The CLI: `keyvault-backup backup --vault X --out DIR`, over the same core as the action. */
export async function main(argv: string[]): Promise<number> {
  routeSdkLog(line => process.stderr.write(`${line}\n`))
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      vault: { type: 'string' },
      out: { type: 'string' },
      environment: { type: 'string' },
      types: { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      'skip-disabled': { type: 'boolean' },
      concurrency: { type: 'string' },
      'dry-run': { type: 'boolean' },
      from: { type: 'string' },
      plan: { type: 'boolean' },
      'if-exists': { type: 'string' },
      'if-deleted': { type: 'string' },
      'no-verify': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (positionals[0] === 'restore' && positionals.length === 1 && !values.help) return restoreCommand(values)
  if (values.help || positionals[0] !== 'backup' || positionals.length !== 1) {
    console.error(positionals[0] === 'restore' ? RESTORE_USAGE : `${USAGE}\n\n${RESTORE_USAGE}`)
    return values.help ? 0 : 2
  }
  if (!values.out && !values['dry-run']) throw new Error('--out is required (the folder to write)')
  const raw: Record<string, string> = {
    [Inputs.Vault]: values.vault ?? '',
    [Inputs.Path]: values.out ?? '',
    [Inputs.Environment]: values.environment ?? '',
    [Inputs.Types]: values.types ?? '',
    [Inputs.Include]: (values.include ?? []).join('\n'),
    [Inputs.Exclude]: (values.exclude ?? []).join('\n'),
    [Inputs.Tags]: (values.tag ?? []).join('\n'),
    [Inputs.SkipDisabled]: values['skip-disabled'] ? 'true' : '',
    [Inputs.Concurrency]: values.concurrency ?? '',
    [Inputs.DryRun]: values['dry-run'] ? 'true' : ''
  }
  const settings = parseBackupSettings(name => raw[name] ?? '', process.env)
  const log = {
    info: (m: string) => console.log(m),
    warning: (m: string) => console.warn(`warning: ${m}`),
    debug: (m: string) => (values.verbose ? console.log(m) : undefined)
  }
  const credential = createDefaultCredential(settings.cloud)
  const { report } = await backupVault(settings, { credential, log, tenantId: process.env.AZURE_TENANT_ID })
  const totals = tallyOutcomes(report.outcomes)
  const done = settings.dryRun ? `would back up ${totals.planned}` : `backed up ${totals['backed-up']}`
  console.log(`${done}, skipped ${totals.skipped}, failed ${totals.failed}`)
  if (report.backupPath)
    console.log(`Folder: ${report.backupPath}\nManifest SHA-256: ${report.manifestSha256}`)
  const failures = failureMessage(report)
  if (failures) console.error(failures)
  return failures ? 1 : 0
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code
  },
  error => {
    console.error(`error: ${errorMessage(error)}`)
    process.exitCode = 1
  }
)
