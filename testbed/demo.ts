/**
 * `npm run demo`: starts the test bed, fills `prod` with a realistic vault, then runs the built
 * action (dist/index.js) as a runner would and prints its log, outputs and job summary.
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
} finally {
  await testbed.stop()
}
process.exit(failed ? 1 : 0)
