import * as core from '@actions/core'
import { routeSdkLog } from './adapters/sdk-log.js'
import { backupStep } from './backup-action.js'
import { errorMessage } from './core/errors.js'
import { readInputs, type ActionInputs } from './inputs.js'
import { restoreStep } from './restore-action.js'

/** The action: read and check every input first, then back up or restore. */
export async function run(): Promise<void> {
  routeSdkLog(core.debug)
  let inputs: ActionInputs
  try {
    inputs = readInputs()
  } catch (error) {
    core.setFailed(errorMessage(error))
    return
  }
  if (inputs.restore) await restoreStep({ ...inputs, restore: inputs.restore })
  else await backupStep(inputs)
}
