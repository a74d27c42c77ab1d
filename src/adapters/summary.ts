import * as core from '@actions/core'
import { errorMessage } from '../core/errors.js'
import { renderBackupSummary, type BackupReport } from '../core/report.js'
import { renderRestoreSummary, type RestoreReport } from '../core/restore-report.js'

/** Writes the backup report to the job summary; never throws (the summary must not mask the real error). */
export async function writeJobSummary(report: BackupReport): Promise<void> {
  await writeSummary(() => renderBackupSummary(report), false)
}

/**
 * Writes the restore report to the job summary, replacing what this step wrote before: the plan goes
 * in before any write, and the final table (with outcomes) replaces it at the end. Never throws.
 */
export async function writeRestoreSummary(report: RestoreReport): Promise<void> {
  await writeSummary(() => renderRestoreSummary(report), true)
}

async function writeSummary(render: () => string, overwrite: boolean): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.emptyBuffer().addRaw(render(), true).write({ overwrite })
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`)
  }
}
