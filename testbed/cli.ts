/**
 * `npm run testbed [-- --config FILE]`: starts the whole test bed standalone, prints the environment
 * a client needs as KEY=VALUE lines, then `READY`, and stops cleanly on SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util'
import { DEFAULT_LAYOUT_PATH, loadLayout } from './config.js'
import { startTestbed } from './index.js'

const { values } = parseArgs({
  options: { config: { type: 'string', default: DEFAULT_LAYOUT_PATH }, help: { type: 'boolean' } }
})
if (values.help) {
  console.log('usage: npm run testbed [-- --config layout.json]   (schema: testbed/README.md)')
  process.exit(0)
}

const testbed = await startTestbed({ layout: loadLayout(values.config!), control: true })
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
