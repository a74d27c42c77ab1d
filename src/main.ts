import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { runnerEnvironment } from './adapters/auth.js'
import { routeSdkLog } from './adapters/sdk-log.js'
import { writeJobSummary } from './adapters/summary.js'
import { errorMessage } from './core/errors.js'
import { realSleep, systemClock } from './core/types.js'
import { Inputs, oneOf, Problems, type InputSource } from './inputs.js'
import { runOperation, type Host } from './lifecycle.js'
import { backupOperation } from './operations/backup/job.js'
import { copyOperation } from './operations/copy/job.js'
import { parseCopySettings } from './operations/copy/settings.js'
import { discoverOperation } from './operations/discover/job.js'
import { parseDiscoverSettings } from './operations/discover/settings.js'
import { parseBackupSettings } from './operations/backup/settings.js'
import { restoreOperation } from './operations/restore/job.js'
import { parseRestoreSettings } from './operations/restore/settings.js'

/** The runner as the lifecycle's host: its log, outputs, job summary and OIDC. */
const runner: Host = {
  log: { info: core.info, warning: message => core.warning(message), debug: core.debug },
  auth: runnerEnvironment,
  clock: systemClock,
  sleep: realSleep,
  tempRoot: process.env.RUNNER_TEMP || tmpdir(),
  setOutputs: outputs => Object.entries(outputs).forEach(([name, value]) => core.setOutput(name, value)),
  writeSummary: writeJobSummary,
  fail: message => core.setFailed(message)
}

/** The action: read and check every input first, then run the chosen operation. */
export async function run(): Promise<void> {
  routeSdkLog(core.debug)
  const token = core.getInput(Inputs.GithubToken)
  if (token) core.setSecret(token)
  const source: InputSource = { read: name => core.getInput(name), env: process.env }
  try {
    const p = new Problems()
    const operations = ['backup', 'restore', 'copy', 'discover'] as const
    const operation = oneOf(p, Inputs.Operation, source.read(Inputs.Operation), operations, 'backup')
    p.throwIfAny()
    if (operation === 'backup') await runOperation(runner, backupOperation, parseBackupSettings(source))
    else if (operation === 'restore')
      await runOperation(runner, restoreOperation, parseRestoreSettings(source))
    else if (operation === 'copy') await runOperation(runner, copyOperation, parseCopySettings(source))
    else await runOperation(runner, discoverOperation, parseDiscoverSettings(source))
  } catch (error) {
    // Only input errors reach here: runOperation reports everything else itself.
    core.setFailed(errorMessage(error))
  }
}
