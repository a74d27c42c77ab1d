import { isMainThread, Worker } from 'node:worker_threads'

/**
 * The young generation the step may use. V8 grows it up to 128 MB over a long backup although
 * little of it is live; capped at 24 MB, peak RSS at 10,000 items falls from about 300 to about
 * 220 MB at the same speed (docs/performance.md). An action cannot pass Node flags, so the step
 * runs in a worker thread, whose resourceLimits can set it.
 */
export const YOUNG_GENERATION_MB = 24

if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB }
  })
  worker.on('error', error => {
    // run() reports its own errors; this is only for a crash of the worker itself.
    process.stdout.write(`::error::keyvault-backup stopped unexpectedly: ${String(error).split('\n')[0]}\n`)
    process.exitCode = 1
  })
  worker.on('exit', code => {
    if (code !== 0) process.exitCode = code
  })
} else {
  // Loaded only in the worker: the main thread never parses the bundle's bulk.
  void import('./main.js').then(({ run }) => run())
}
