import { parseArgs } from 'node:util'
import { vaultRecord } from '../../core/fleet.js'
import { Inputs } from '../../inputs.js'
import { runOperation, type Host } from '../../lifecycle.js'
import { discoverOperation } from './job.js'
import { parseDiscoverSettings } from './settings.js'

export const DISCOVER_USAGE = `Usage: keyvault-backup discover [options]

Lists every vault the identity can read through Resource Manager, and the matrix groups.
  --subscription ID       a subscription to read (repeatable; default: every one the identity can list)
  --include GLOB          vault name glob to include (repeatable)
  --exclude GLOB          vault name glob to exclude (repeatable)
  --tag KEY=VALUE         tag a vault must carry; the value may use * and ? (repeatable)
  --resource-group NAME   resource group name or glob (repeatable)
  --location NAME         location, e.g. westeurope (repeatable)
  --max-jobs N            at most N matrix groups (1-256, default 256)
  --json                  print the vaults as JSON (the action's 'vaults' output) instead of a table
  --environment, --auth, --tenant-id, --verbose as for backup

Reading vaults needs 'Reader' (Microsoft.KeyVault/vaults/read) on the subscriptions or resource groups.`

/** `keyvault-backup discover`: the action's discover from a terminal. */
export async function discoverCommand(args: string[], host: Host & { failed: boolean }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      subscription: { type: 'string', multiple: true },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      'resource-group': { type: 'string', multiple: true },
      location: { type: 'string', multiple: true },
      'max-jobs': { type: 'string' },
      json: { type: 'boolean' },
      environment: { type: 'string' },
      auth: { type: 'string' },
      'tenant-id': { type: 'string' },
      verbose: { type: 'boolean' }
    }
  })
  const raw: Record<string, string> = {
    [Inputs.Subscriptions]: (values.subscription ?? []).join('\n'),
    [Inputs.VaultInclude]: (values.include ?? []).join('\n'),
    [Inputs.VaultExclude]: (values.exclude ?? []).join('\n'),
    [Inputs.VaultTags]: (values.tag ?? []).join('\n'),
    [Inputs.ResourceGroups]: (values['resource-group'] ?? []).join('\n'),
    [Inputs.Locations]: (values.location ?? []).join('\n'),
    [Inputs.MaxJobs]: values['max-jobs'] ?? '',
    [Inputs.Environment]: values.environment ?? '',
    [Inputs.Auth]: values.auth ?? '',
    [Inputs.TenantId]: values['tenant-id'] ?? ''
  }
  const settings = parseDiscoverSettings({ read: name => raw[name] ?? '', env: process.env, cli: true })
  const report = await runOperation(host, discoverOperation, settings)
  if (values.json) {
    console.log(JSON.stringify(report.vaults.map(vaultRecord), null, 2))
  } else {
    const groupOf = new Map(report.groups.flatMap(g => g.vaults.map(v => [v, g.group] as const)))
    for (const v of report.vaults) {
      console.log([groupOf.get(v), v.url, v.subscriptionId, v.resourceGroup, v.location].join('\t'))
    }
  }
  // With --json the closing line goes with the progress, to stderr.
  ;(values.json ? console.error : console.log)(
    `found ${report.vaults.length} vaults in ${report.groups.length} groups; ` +
      `${report.subscriptions.length} subscriptions read, ${report.unreadable.length} not read`
  )
  return host.failed ? 1 : 0
}
