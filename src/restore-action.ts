import * as core from '@actions/core'
import { downloadBackup } from './adapters/artifact.js'
import { createCredential } from './adapters/auth.js'
import { writeRestoreSummary } from './adapters/summary.js'
import { errorMessage } from './core/errors.js'
import type { RestoreReport } from './core/restore-report.js'
import type { ActionInputs, RestoreOptions } from './inputs.js'
import { restoreFailureMessage, restoreOutputs } from './outputs.js'
import { restoreVault } from './restore-job.js'
import { concludeStep, stepLog } from './step.js'

/** `operation: restore`: plan, summary, restore, outputs; the summary and outputs are written whatever happens. */
export async function restoreStep(inputs: ActionInputs & { restore: RestoreOptions }): Promise<void> {
  const report: RestoreReport = {
    targetVault: inputs.vault.url,
    source: '',
    dryRun: inputs.dryRun,
    policy: inputs.restore.policy,
    filteredOut: 0,
    plan: [],
    outcomes: []
  }
  try {
    const { tenantId, clientId, audience, cloud } = inputs
    const auth = createCredential({ method: inputs.auth, cloud, clientId, tenantId, audience })
    await restoreVault(
      { ...inputs, ...inputs.restore },
      {
        credential: auth.credential,
        explainSignIn: auth.explainError,
        log: stepLog,
        download: (source, path) => downloadBackup(source, path),
        onPlan: writeRestoreSummary
      },
      report
    )
    concludeStep(restoreFailureMessage(report), inputs.failOnError)
  } catch (error) {
    report.fatal = errorMessage(error)
    core.setFailed(report.fatal)
  } finally {
    for (const [name, value] of Object.entries(restoreOutputs(report))) core.setOutput(name, value)
    await writeRestoreSummary(report)
  }
}
