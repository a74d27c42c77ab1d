import * as core from '@actions/core'
import { uploadBackup } from './adapters/artifact.js'
import { createCredential } from './adapters/auth.js'
import { routeSdkLog } from './adapters/sdk-log.js'
import { writeJobSummary } from './adapters/summary.js'
import { backupVault } from './backup-job.js'
import { errorMessage } from './core/errors.js'
import type { BackupReport } from './core/report.js'
import { readInputs } from './inputs.js'
import { backupOutputs, failureMessage } from './outputs.js'
import { runRestore } from './restore-action.js'

const log = { info: core.info, warning: (m: string) => core.warning(m), debug: core.debug }

/** The action: read inputs, then back up and upload, or restore; outputs and the job summary are written whatever happens. */
export async function run(): Promise<void> {
  routeSdkLog(core.debug)
  let report: BackupReport | undefined
  try {
    const inputs = readInputs()
    if (inputs.restore) return await runRestore({ ...inputs, restore: inputs.restore })
    const { tenantId, clientId, audience, cloud } = inputs
    const auth = createCredential({ method: inputs.auth, cloud, clientId, tenantId, audience })
    const job = await backupVault(inputs, {
      credential: auth.credential,
      explainSignIn: auth.explainError,
      log,
      tenantId
    })
    report = job.report
    if (inputs.upload && !inputs.dryRun) {
      const { artifactName: name, retentionDays, compressionLevel } = inputs
      const artifact = await uploadBackup(inputs.path, job.files, { name, retentionDays, compressionLevel })
      report.artifact = { name, ...artifact }
      core.info(`Uploaded artifact '${name}' (id ${artifact.id}, ${artifact.size} bytes): ${artifact.url}`)
    }
    const failures = failureMessage(report)
    if (failures && inputs.failOnError) core.setFailed(failures)
    else if (failures) core.warning(`${failures}\n(fail-on-error is false, so the step succeeds)`)
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
