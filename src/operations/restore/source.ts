import { downloadBackup, findTrustedArtifacts, type PassedOver } from '../../adapters/artifact.js'
import { verifyForRestore } from '../../adapters/backup-source.js'
import { missingFromBackup, type Manifest } from '../../core/manifest.js'
import { escapeLog } from '../../core/text.js'
import { StepError, type Run } from '../../lifecycle.js'
import type { RestoreSettings } from './settings.js'

/** A backup fetched and verified: nothing in it has been trusted before these checks passed. */
export interface FetchedBackup {
  manifest: Manifest
  manifestSha256: string
  /** The folder the blobs are read from (a temporary copy, removed when the run ends). */
  root: string
  /** Where it came from, in words. */
  description: string
  /** Newer artifacts `latest` passed over, and why. */
  passedOver: PassedOver[]
}

/**
 * Fetches the backup the settings name and verifies it (files, sizes, hashes, the manifest, the
 * artifact's digest, `manifest-sha256` when given). Blobs are downloaded and unpacked into the
 * run's temporary folders, which the lifecycle removes when the run ends. `latest` takes the newest
 * complete backup uploaded by this repository's own runs on the trusted branch, passing over (and
 * naming) newer ones that are incomplete, from forks or from other branches.
 */
export async function fetchBackup(run: Run, settings: RestoreSettings): Promise<FetchedBackup> {
  const source = settings.source
  if (source.kind === 'path') {
    const verified = await verifyForRestore(source.path, await run.tempDir('keyvault-restore-unpacked'))
    return { ...verified, description: `folder ${source.path}`, passedOver: [] }
  }
  const artifact = source.artifact
  if (artifact.kind !== 'latest') {
    const folder = await run.tempDir('keyvault-restore-download')
    const downloaded = await downloadBackup(artifact, folder)
    const where = artifact.kind === 'run' ? `run ${artifact.runId} in ${artifact.repository}` : 'this run'
    const verified = await verifyForRestore(folder, await run.tempDir('keyvault-restore-unpacked'))
    return {
      ...verified,
      description: `artifact '${artifact.name}' of ${where} (id ${downloaded.id}, digest ${downloaded.digest} verified)`,
      passedOver: []
    }
  }
  const { candidates, passedOver, branch } = await findTrustedArtifacts(
    artifact.name,
    artifact.repository,
    artifact.token,
    artifact.branch
  )
  for (const candidate of candidates) {
    const folder = await run.tempDir('keyvault-restore-download')
    const runSource = { ...artifact, kind: 'run' as const, runId: candidate.runId }
    const downloaded = await downloadBackup(runSource, folder)
    const verified = await verifyForRestore(folder, await run.tempDir('keyvault-restore-unpacked'))
    if (!verified.manifest.complete) {
      const missing = missingFromBackup(verified.manifest)
      passedOver.push({
        id: downloaded.id,
        runId: candidate.runId,
        createdAt: candidate.createdAt,
        reason: `incomplete backup (${missing.length} missing: ${missing[0]}${missing.length > 1 ? ', …' : ''})`
      })
      continue
    }
    const newer = passedOver.filter(p => p.id > downloaded.id)
    for (const skipped of newer) {
      run.log.info(
        `Passed over artifact ${skipped.id}${skipped.runId ? ` of run ${skipped.runId}` : ''}: ${escapeLog(skipped.reason)}`
      )
    }
    return {
      ...verified,
      description:
        `the newest complete artifact '${artifact.name}' of branch ${branch === '*' ? '(any)' : `'${branch}'`} in ${artifact.repository}: ` +
        `run ${candidate.runId} (id ${downloaded.id}, digest ${downloaded.digest} verified)`,
      passedOver: newer
    }
  }
  const reasons = passedOver.map(p => `artifact ${p.id}${p.runId ? ` (run ${p.runId})` : ''}: ${p.reason}`)
  throw new StepError(
    `No trusted, complete artifact named '${artifact.name}' was found in ${artifact.repository}` +
      (reasons.length ? `; passed over:\n- ${reasons.join('\n- ')}` : '')
  )
}
