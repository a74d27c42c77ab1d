import { startTestbed } from '../index.js'
import { measureAction } from './action.js'
import { planWorkload, seedWorkload } from './workload.js'
const tb = await startTestbed({ behaviour: { latency: { fixedMs: 25, jitterMs: 10 } } })
const dry = await measureAction(tb, 'staging', { vault: 'staging', 'dry-run': 'true' })
console.log('dry empty', dry.seconds.toFixed(2), dry.peakRssMb.toFixed(0), JSON.stringify(dry.phases))
const e = await measureAction(tb, 'staging', { vault: 'staging' })
console.log('backup empty', e.seconds.toFixed(2), e.peakRssMb.toFixed(0), JSON.stringify(e.phases))
seedWorkload(tb.keyvault.vault('prod'), planWorkload(200), { rsaKeyShare: 0 })
const nu = await measureAction(tb, 'prod', { vault: 'prod', upload: 'false' })
console.log('200 no upload', nu.seconds.toFixed(2), nu.peakRssMb.toFixed(0), JSON.stringify(nu.phases))
const u = await measureAction(tb, 'prod', { vault: 'prod' })
console.log('200 upload', u.seconds.toFixed(2), u.peakRssMb.toFixed(0), JSON.stringify(u.phases))
const u32 = await measureAction(tb, 'prod', { vault: 'prod', concurrency: '32' })
console.log('200 upload c32', u32.seconds.toFixed(2), u32.peakRssMb.toFixed(0), JSON.stringify(u32.phases))
console.log(u.result.log.split('\n').slice(0,30).join('\n'))
await tb.stop()
