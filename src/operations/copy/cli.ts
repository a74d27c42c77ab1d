import { parseArgs } from 'node:util'
import { Inputs, SELECTION_CLI_OPTIONS, selectionInputs } from '../../inputs.js'
import { runOperation, type Host } from '../../lifecycle.js'
import { copyOperation } from './job.js'
import { parseCopySettings } from './settings.js'
import { tallyCopy } from './summary.js'

export const COPY_USAGE = `Usage: keyvault-backup copy --vault NAME|URL --to NAME|URL [--plan] [options]

  --vault NAME|URL            the source vault                                  (required)
  --to NAME|URL               the target vault                                  (required)
  --plan                      print the plan (the differences) and stop
  --rename PATTERN=REPLACE    rename rule, e.g. 'prod-*=staging-*' (repeatable; first match wins)
  --versions latest|all       copy the current version (default) or every readable one
  --if-exists POLICY          skip (default), update, fail, replace
  --if-deleted POLICY         fail (default), skip, recover, purge
  --target-environment CLOUD  the target's cloud (default: --environment)
  --target-tenant-id ID       the tenant to sign in to for the target (default: --tenant-id)
  --types LIST                secrets, certificates (default), keys
  --include, --exclude, --tag, --skip-disabled, --concurrency, --environment, --auth, --tenant-id, --verbose as for backup

Values are read into memory only and written to the target; nothing is written to disk.`

/** `keyvault-backup copy --vault A --to B`: the action's copy from a terminal. */
export async function copyCommand(args: string[], host: Host & { failed: boolean }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      vault: { type: 'string' },
      to: { type: 'string' },
      plan: { type: 'boolean' },
      rename: { type: 'string', multiple: true },
      versions: { type: 'string' },
      'if-exists': { type: 'string' },
      'if-deleted': { type: 'string' },
      environment: { type: 'string' },
      'target-environment': { type: 'string' },
      auth: { type: 'string' },
      'tenant-id': { type: 'string' },
      'target-tenant-id': { type: 'string' },
      ...SELECTION_CLI_OPTIONS,
      verbose: { type: 'boolean' }
    }
  })
  const raw: Record<string, string> = {
    [Inputs.Vault]: values.vault ?? '',
    [Inputs.TargetVault]: values.to ?? '',
    [Inputs.DryRun]: values.plan ? 'true' : '',
    [Inputs.Rename]: (values.rename ?? []).join('\n'),
    [Inputs.Versions]: values.versions ?? '',
    [Inputs.IfExists]: values['if-exists'] ?? '',
    [Inputs.IfDeleted]: values['if-deleted'] ?? '',
    [Inputs.Environment]: values.environment ?? '',
    [Inputs.TargetEnvironment]: values['target-environment'] ?? '',
    [Inputs.Auth]: values.auth ?? '',
    [Inputs.TenantId]: values['tenant-id'] ?? '',
    [Inputs.TargetTenantId]: values['target-tenant-id'] ?? '',
    ...selectionInputs(values)
  }
  if (!values.to) throw new Error('--to is required (the target vault)')
  const settings = parseCopySettings({ read: name => raw[name] ?? '', env: process.env, cli: true })
  const report = await runOperation(host, copyOperation, settings)
  const t = tallyCopy(report.outcomes)
  console.log(
    settings.dryRun
      ? `plan only: ${t.planned} items planned (plan file: ${report.planPath ?? 'none'})`
      : `copied ${t.copied}, unchanged ${t.unchanged}, skipped ${t.skipped}, failed ${t.failed} (plan file: ${report.planPath ?? 'none'})`
  )
  return host.failed ? 1 : 0
}
