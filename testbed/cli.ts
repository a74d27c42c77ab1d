/**
 * `npm run testbed [-- --config FILE | --layout default|fleet|FILE]`: starts the whole test bed
 * standalone, prints the environment a client needs as KEY=VALUE lines, then `READY`, and stops cleanly
 * on SIGINT or SIGTERM. `--layout fleet` generates a fleet (testbed/fleet.ts); `--vaults`,
 * `--subscriptions`, `--tenants` and `--seed` size it.
 */
import { parseArgs } from 'node:util'
import { DEFAULT_LAYOUT_PATH, loadLayout, type TestbedLayout } from './config.js'
import { fleetLayout } from './fleet.js'
import { startTestbed } from './index.js'

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    layout: { type: 'string' },
    vaults: { type: 'string' },
    subscriptions: { type: 'string' },
    tenants: { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean' }
  }
})
if (values.help) {
  console.log(
    'usage: npm run testbed [-- --config layout.json | --layout default|fleet|layout.json]\n' +
      '       fleet sizes: --vaults 600 --subscriptions 5 --tenants 2 --seed 1   (schema: testbed/README.md)'
  )
  process.exit(0)
}

const number = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : Number(text)
const choice = values.layout ?? values.config ?? 'default'
let layout: TestbedLayout
if (choice === 'fleet') {
  layout = fleetLayout({
    vaults: number(values.vaults),
    subscriptions: number(values.subscriptions),
    tenants: number(values.tenants),
    seed: number(values.seed)
  })
  const subscriptions = layout.tenants.reduce((n, t) => n + (t.subscriptions?.length ?? 0), 0)
  console.error(
    `test bed: fleet of ${layout.vaults.length} vaults in ${subscriptions} subscriptions and ` +
      `${layout.tenants.length} tenants (served lazily; discover them through Resource Manager)`
  )
} else {
  layout = loadLayout(choice === 'default' ? DEFAULT_LAYOUT_PATH : choice)
}

const testbed = await startTestbed({ layout, control: true })
for (const [key, value] of Object.entries(testbed.env)) console.log(`${key}=${value}`)
console.log('READY')

let stopping = false
const stop = async (signal: string): Promise<void> => {
  if (stopping) return
  stopping = true
  console.error(`test bed: ${signal}, stopping`)
  await testbed.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
