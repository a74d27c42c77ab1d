import * as core from '@actions/core'
import { uploadBackup } from './adapters/artifact.js'
import { createCredential } from './adapters/auth.js'
import { writeJobSummary } from './adapters/summary.js'
import { backupVault } from './backup-job.js'
import { errorMessage } from './core/errors.js'
import type { BackupReport } from './core/report.js'
import type { ActionInputs } from './inputs.js'
import { backupOutputs, failureMessage } from './outputs.js'
import { concludeStep, stepLog } from './step.js'

/** `operation: backup`: back up, upload; outputs and the job summary are written whatever happens. */
export async function backupStep(inputs: ActionInputs): Promise<void> {
  let report: BackupReport | undefined
  try {
    const { tenantId, clientId, audience, cloud } = inputs
    const auth = createCredential({ method: inputs.auth, cloud, clientId, tenantId, audience })
    const job = await backupVault(inputs, {
      credential: auth.credential,
      explainSignIn: auth.explainError,
      log: stepLog,
      tenantId
    })
    report = job.report
    if (inputs.upload && !inputs.dryRun) {
      const { artifactName: name, retentionDays, compressionLevel } = inputs
      const artifact = await uploadBackup(inputs.path, job.blobs, { name, retentionDays, compressionLevel })
      report.artifact = { name, ...artifact }
      core.info(`Uploaded artifact '${name}' (id ${artifact.id}, ${artifact.size} bytes): ${artifact.url}`)
    }
    concludeStep(failureMessage(report), inputs.failOnError)
  } catch (error) {
    const message = errorMessage(error)
    if (report) report.fatal = message
    core.setFailed(message)
  } finally {
    if (report) {
      for (const [name, value] of Object.entries(backupOutputs(report))) core.setOutput(name, value)
      await writeJobSummary(report)
    }
  }
}
