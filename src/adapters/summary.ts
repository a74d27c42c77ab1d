import * as core from '@actions/core'
import { renderBackupSummary, type BackupReport } from '../core/report.js'
import { renderRestoreSummary, type RestoreReport } from '../core/restore-report.js'

/** Writes the backup report to the job summary; never throws (the summary must not mask the real error). */
export async function writeJobSummary(report: BackupReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.addRaw(renderBackupSummary(report), true).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/**
 * Writes the restore report to the job summary, replacing what this step wrote before: the plan goes
 * in before any write, and the final table (with outcomes) replaces it at the end. Never throws.
 */
export async function writeRestoreSummary(report: RestoreReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.emptyBuffer().addRaw(renderRestoreSummary(report), true).write({ overwrite: true })
  } catch (error) {
    core.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`)
  }
}
