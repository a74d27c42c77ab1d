import * as core from '@actions/core'
import { renderBackupSummary, type BackupReport } from '../core/report.js'

/** Writes the backup report to the job summary; never throws (the summary must not mask the real error). */
export async function writeJobSummary(report: BackupReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.addRaw(renderBackupSummary(report), true).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`)
  }
}
