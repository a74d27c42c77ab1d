import { errorMessage } from '../../core/errors.js'
import { copyStateLabel, decideCopy, type CopyAction } from '../../core/copy.js'
import { readAllPages } from '../../core/paging.js'
import { isForeignBlobError } from '../../core/restore.js'
import { escapeLog } from '../../core/text.js'
import type { VaultOperation } from '../../core/explain.js'
import { singular } from '../../core/versions.js'
import { defaultPollSettings, pollUntil, type PollSettings } from '../../core/wait.js'
import type { Run } from '../../lifecycle.js'
import {
  compareAgain,
  mapLimited,
  readSourceSecrets,
  type CopyEntry,
  type CopyItem,
  type CopyPlan,
  type CopySide
} from './plan.js'
import type { CopySettings } from './settings.js'

export type CopyStatus = 'copied' | 'unchanged' | 'skipped' | 'failed' | 'planned'

/** A plan row and what became of it. */
export interface CopyOutcome extends CopyEntry {
  status: CopyStatus
  /** Why it was skipped or failed, or a note on success. */
  reason?: string
}

/** Another security world refused a key's blob: every other key would be refused the same way. */
const FOREIGN_KEY =
  'another security world: a key is copied with its backup, which restores only within the same ' +
  'subscription and geography, and its material never leaves Key Vault otherwise; create a new key in the target'

interface Context {
  run: Run
  source: CopySide
  target: CopySide
  settings: CopySettings
  poll: PollSettings
  /** Set once a key's blob was refused as foreign. */
  foreignKeys: boolean
}

/**
 * Executes a copy plan: certificates first, then secrets and keys, at most `concurrency` items at a
 * time (each vault's rate controller and pace on top). One outcome per row, in the plan's order.
 */
export async function executeCopy(
  run: Run,
  source: CopySide,
  target: CopySide,
  settings: CopySettings,
  plan: CopyPlan,
  onOutcome: (index: number, outcome: CopyOutcome) => void
): Promise<CopyOutcome[]> {
  const context: Context = {
    run,
    source,
    target,
    settings,
    poll: defaultPollSettings(run.clock, run.sleep),
    foreignKeys: false
  }
  const outcomes = new Array<CopyOutcome>(plan.entries.length)
  const order = plan.entries
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => Number(b.entry.type === 'certificates') - Number(a.entry.type === 'certificates'))
  await mapLimited(order, settings.concurrency, async ({ entry, i }) => {
    let outcome: CopyOutcome
    try {
      outcome = await copyOne(context, plan.items[i], entry)
    } catch (error) {
      outcome = { ...entry, status: 'failed', reason: errorMessage(error) }
    }
    outcomes[i] = outcome
    run.log.info(
      `${singular(entry.type)} '${escapeLog(entry.name)}'${entry.target === entry.name ? '' : ` -> '${escapeLog(entry.target)}'`}: ` +
        `${outcome.status}${outcome.reason ? ` (${escapeLog(outcome.reason)})` : ''}`
    )
    onOutcome(i, outcome)
  })
  return outcomes
}

/** Follows one row's decision; a recovered item is compared again and decided as existing. */
async function copyOne(context: Context, item: CopyItem, entry: CopyEntry): Promise<CopyOutcome> {
  const { target, settings } = context
  let row = entry
  for (let round = 0; round < 3; round++) {
    const action: CopyAction = row.decision.action
    switch (action) {
      case 'unchanged':
        return { ...row, status: 'unchanged' }
      case 'skip':
        return { ...row, status: 'skipped', reason: row.decision.reason }
      case 'fail':
        return { ...row, status: 'failed', reason: row.decision.reason }
      case 'create':
      case 'update':
        return write(context, item, row, row.write)
      case 'purge-and-create':
        await act(context, 'purge', item, () => target.writer.purge(item.type, item.target))
        return write(context, item, row, item.versions.length || 1)
      case 'replace':
        await act(context, 'delete', item, () => target.writer.startDelete(item.type, item.target))
        await pollUntil(
          `the deleted ${singular(item.type)} '${item.target}' to appear in the deleted view`,
          async () => ((await target.deleted[item.type].find(item.target)) ? true : undefined),
          context.poll
        )
        await act(context, 'purge', item, () => target.writer.purge(item.type, item.target))
        return write(context, item, row, item.versions.length || 1)
      case 'recover': {
        await act(context, 'recover', item, () => target.writer.startRecover(item.type, item.target))
        await pollUntil(
          `${singular(item.type)} '${item.target}' to finish recovering`,
          async () => {
            const versions = await readAllPages(target.connection.rate, token =>
              target.values.versionPage(item.type, item.target, token)
            )
            return versions.length > 0 ? true : undefined
          },
          context.poll
        )
        const found = await compareAgain(context.source, target, settings, item)
        const decision = decideCopy(item.type, item.target, found, { ...settings.policy })
        row = {
          ...row,
          state: copyStateLabel(found),
          decision: { ...decision, reason: `recovered, then ${decision.reason}` },
          write: found.kind === 'active' ? found.missing : row.write
        }
        break
      }
    }
  }
  return { ...row, status: 'failed', reason: 'the name kept changing state during the copy' }
}

/** One vault call under the target's rate control, its failure explained. */
async function act(
  context: Context,
  op: VaultOperation,
  item: CopyItem,
  call: () => Promise<void>
): Promise<void> {
  try {
    await context.target.connection.rate.run(call)
  } catch (error) {
    throw new Error(
      `${op} failed: ${context.target.connection.explain(error, { type: item.type, operation: op })}`
    )
  }
}

/**
 * Writes the last `count` versions of the item to copy (oldest first, so the latest ends current).
 * The first write rides out a name still taken for a few seconds (after a purge or a delete).
 */
async function write(context: Context, item: CopyItem, row: CopyEntry, count: number): Promise<CopyOutcome> {
  const { source, target } = context
  const writeFirst = async (call: () => Promise<void>): Promise<void> => {
    await pollUntil(
      `the name of ${singular(item.type)} '${item.target}' to become free`,
      async () => {
        try {
          await target.connection.rate.run(call)
          return true
        } catch (error) {
          if (
            (error as { statusCode?: number }).statusCode === 409 &&
            /being (deleted|recovered)|conflict/i.test(errorMessage(error))
          ) {
            return undefined
          }
          throw error
        }
      },
      context.poll
    )
  }
  const explainWrite = (error: unknown, operation: VaultOperation) =>
    new Error(
      `${operation === 'import' ? 'import' : 'write'} failed: ${target.connection.explain(error, { type: item.type, operation })}`
    )

  if (item.type === 'keys') {
    if (context.foreignKeys) return { ...row, status: 'skipped', reason: FOREIGN_KEY }
    const blob = await source.connection.rate.run(() => source.values.backupKey(item.name))
    try {
      await writeFirst(() => target.values.restoreKey(blob))
    } catch (error) {
      if (isForeignBlobError(error)) {
        context.foreignKeys = true
        return { ...row, status: 'skipped', reason: FOREIGN_KEY }
      }
      throw explainWrite(error, 'restore')
    }
    return { ...row, status: 'copied', reason: 'restored from its backup (every version, the same ids)' }
  }

  if (item.type === 'secrets') {
    const shapes = (await readSourceSecrets(source, context.settings, item)).slice(-count)
    delete item.read
    for (const [n, shape] of shapes.entries()) {
      try {
        if (n === 0) await writeFirst(() => target.values.setSecret(item.target, shape))
        else await target.connection.rate.run(() => target.values.setSecret(item.target, shape))
      } catch (error) {
        throw explainWrite(error, 'set')
      }
    }
    return {
      ...row,
      status: 'copied',
      reason: `${shapes.length} version${shapes.length === 1 ? '' : 's'} written`
    }
  }

  const versions = item.versions.slice(-count)
  for (const [n, version] of versions.entries()) {
    const exported = await source.connection.rate.run(() =>
      source.values.certificateExport(item.name, version.version)
    )
    if (!exported.hasPrivateKey) {
      return {
        ...row,
        status: 'skipped',
        reason:
          'not exportable: its exported secret holds no private key; issue a new certificate in the target'
      }
    }
    const importIt = () =>
      target.values.importCertificate(
        item.target,
        exported,
        item.policy!.copied,
        version.enabled,
        version.tags
      )
    try {
      if (n === 0) await writeFirst(importIt)
      else await target.connection.rate.run(importIt)
    } catch (error) {
      throw explainWrite(error, 'import')
    }
  }
  return {
    ...row,
    status: 'copied',
    reason: `${versions.length} version${versions.length === 1 ? '' : 's'} imported`
  }
}
