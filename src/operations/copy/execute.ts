import type { VersionInfo } from '../../adapters/values.js'
import { errorMessage } from '../../core/errors.js'
import {
  copyStateLabel,
  decideCopy,
  sameCertificateVersion,
  sameSecretVersion,
  type CopyAction
} from '../../core/copy.js'
import { readAllPages, type Page } from '../../core/paging.js'
import { mapLimited } from '../../core/queue.js'
import { isForeignBlobError } from '../../core/restore.js'
import { escapeLog } from '../../core/text.js'
import type { VaultOperation } from '../../core/explain.js'
import { singular } from '../../core/versions.js'
import { defaultPollSettings, pollUntil, type PollSettings } from '../../core/wait.js'
import type { Run } from '../../lifecycle.js'
import {
  compareAgain,
  readSourceSecrets,
  shapeOf,
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
 * Executes a copy plan: certificates first, then secrets and keys, at most twice `concurrency`
 * items at a time. An item reads the source, then writes the target: with twice as many items as
 * each vault has slots, both vaults keep their `concurrency` calls in flight (each vault's rate
 * controller and pace still hold its own calls to that). One outcome per row, in the plan's order.
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
  await mapLimited(order, 2 * settings.concurrency, async ({ entry, i }) => {
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
        item.targetLatest = undefined
        return write(context, item, row, item.versions.length || 1)
      case 'replace':
        await act(context, 'delete', item, () => target.writer.startDelete(item.type, item.target))
        await pollUntil(
          `the deleted ${singular(item.type)} '${item.target}' to appear in the deleted view`,
          async () => ((await target.deleted[item.type].find(item.target)) ? true : undefined),
          context.poll
        )
        await act(context, 'purge', item, () => target.writer.purge(item.type, item.target))
        item.targetLatest = undefined
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
 * A write that is tried again only if it did not land. The rate controller retries a call after a
 * 5xx or a reset, but the service may have applied a PUT or an import whose answer was lost: a
 * second try would add a second version. So a try after such a failure asks `landed` first (on the
 * wire, inside the same slot) and returns what it found instead of writing again. After a 429 the
 * service served nothing: the write is tried again without a read that would add to the throttling.
 */
function once<T>(write: () => Promise<T>, landed: () => Promise<T | undefined>): () => Promise<T> {
  let uncertain = false
  return async () => {
    if (uncertain) {
      const found = await landed()
      if (found !== undefined) return found
    }
    try {
      return await write()
    } catch (error) {
      uncertain = (error as { statusCode?: unknown } | null)?.statusCode !== 429
      throw error
    }
  }
}

/**
 * Writes the last `count` versions of the item to copy (oldest first, so the latest ends current).
 * The first write rides out a name still taken for a few seconds (after a purge or a delete). A
 * write tried again after a lost answer is checked first: a secret or certificate version newer
 * than the one the target held before, equal to what the write carries, is that write's (see `once`).
 */
async function write(context: Context, item: CopyItem, row: CopyEntry, count: number): Promise<CopyOutcome> {
  const { source, target } = context
  const writeFirst = async <T>(call: () => Promise<T>): Promise<T> => {
    let result: T | undefined
    await pollUntil(
      `the name of ${singular(item.type)} '${item.target}' to become free`,
      async () => {
        try {
          result = await target.connection.rate.run(call)
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
    return result as T
  }
  const explainWrite = (error: unknown, operation: VaultOperation) =>
    new Error(
      `${operation === 'import' ? 'import' : 'write'} failed: ${target.connection.explain(error, { type: item.type, operation })}`
    )

  if (item.type === 'keys') {
    if (context.foreignKeys) return { ...row, status: 'skipped', reason: FOREIGN_KEY }
    const blob = await source.connection.rate.run(() => source.values.backupKey(item.name))
    // A restore that landed leaves the key with the source's version ids (a retry would get a 409).
    const restored = async (): Promise<true | undefined> => {
      const ids = new Set<string>()
      let token: string | undefined
      do {
        let page: Page<VersionInfo>
        try {
          page = await target.values.versionPage('keys', item.target, token)
        } catch (error) {
          if ((error as { statusCode?: unknown } | null)?.statusCode === 404) return undefined
          throw error
        }
        for (const v of page.items) ids.add(v.version.toLowerCase())
        token = page.continuationToken
      } while (token)
      const all = item.versions.length > 0 && item.versions.every(v => ids.has(v.version.toLowerCase()))
      return all || undefined
    }
    try {
      await writeFirst(
        once(async () => {
          await target.values.restoreKey(blob)
          return true as const
        }, restored)
      )
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
    let before = item.targetLatest
    for (const [n, shape] of shapes.entries()) {
      const previous = before
      const call = once(
        () => target.values.setSecret(item.target, shape),
        async () => {
          const current = await target.values.currentSecret(item.target)
          return current &&
            current.version.version !== previous &&
            sameSecretVersion(shapeOf(current.version, current.value), shape)
            ? current.version.version
            : undefined
        }
      )
      try {
        before = n === 0 ? await writeFirst(call) : await target.connection.rate.run(call)
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
  let before = item.targetLatest
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
    const previous = before
    const importIt = once(
      () =>
        target.values.importCertificate(
          item.target,
          exported,
          item.policy!.copied,
          version.enabled,
          version.tags
        ),
      async () => {
        const current = await target.values.currentCertificate(item.target)
        const shape = (v: VersionInfo) => ({
          thumbprint: v.thumbprint ?? '',
          enabled: v.enabled,
          tags: v.tags
        })
        return current?.thumbprint &&
          version.thumbprint &&
          current.version !== previous &&
          sameCertificateVersion(shape(current), shape(version))
          ? current.version
          : undefined
      }
    )
    try {
      before = n === 0 ? await writeFirst(importIt) : await target.connection.rate.run(importIt)
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
