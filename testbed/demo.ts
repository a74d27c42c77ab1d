/**
 * `npm run demo`: starts the test bed, fills `prod` with a realistic vault, then runs the built
 * action (dist/index.js) as a runner would and prints its log, outputs and job summary. It goes on
 * to restore prod's backup into `staging` (in the same run, from the artifact): first the plan
 * (dry run), then the restore itself, printing the plan, the outcomes and the summary.
 */
import { existsSync } from 'node:fs'
import { ACTION_ENTRY, runAction } from './harness.js'
import { startTestbed } from './index.js'
import { seedRealisticVault } from './seed.js'

if (!existsSync(ACTION_ENTRY)) {
  console.error(`${ACTION_ENTRY} is missing: run 'npm run build' first.`)
  process.exit(1)
}

const heading = (text: string): void =>
  console.log(`\n==== ${text} ${'='.repeat(Math.max(0, 70 - text.length))}`)

const testbed = await startTestbed()
let failed = false
try {
  seedRealisticVault(testbed.keyvault.vault('prod'), { secrets: 20, keys: 6, certificates: 3 })
  heading('backup: vault prod (https://prod.vault.azure.net, through the test bed proxy)')
  const backup = await runAction({ env: testbed.env, inputs: { vault: 'prod' } })
  process.stdout.write(backup.log)
  heading(`outputs (exit code ${backup.exitCode})`)
  for (const [name, value] of Object.entries(backup.outputs)) console.log(`${name}=${value}`)
  heading('job summary')
  console.log(backup.summary)
  failed = backup.exitCode !== 0

  // staging already holds one of the names with other content: the plan shows if-exists 'skip' at work.
  const staging = testbed.keyvault.vault('staging')
  staging.behaviour.deleteWindowMs = [200, 400]
  staging.behaviour.purgeWindowMs = [200, 400]
  staging.seedSecret('billing-db-password', 'staging-own-value')
  const restoreInputs = {
    operation: 'restore',
    vault: 'staging',
    'artifact-name': 'keyvault-backup-prod',
    'if-exists': 'skip',
    'if-deleted': 'recover'
  }
  heading('restore plan: prod backup into staging (dry-run: true)')
  const plan = await runAction({ env: testbed.env, inputs: { ...restoreInputs, 'dry-run': 'true' } })
  process.stdout.write(plan.log)
  heading('restore: prod backup into staging')
  const restore = await runAction({ env: testbed.env, inputs: restoreInputs })
  process.stdout.write(restore.log)
  heading(`restore outputs (exit code ${restore.exitCode})`)
  for (const [name, value] of Object.entries(restore.outputs)) console.log(`${name}=${value}`)
  heading('restore job summary')
  console.log(restore.summary)
  failed ||= plan.exitCode !== 0 || restore.exitCode !== 0
} finally {
  await testbed.stop()
}
process.exit(failed ? 1 : 0)
