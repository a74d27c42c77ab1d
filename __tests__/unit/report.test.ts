import { errorMessage } from '../../src/core/errors.js'
import { describeVaultError } from '../../src/core/explain.js'
import type { ItemOutcome } from '../../src/core/outcomes.js'
import { ProgressReporter } from '../../src/core/progress.js'
import { failureMessage } from '../../src/core/report.js'
import { escapeLog, escapeMarkdown } from '../../src/core/text.js'
import {
  backupFailures,
  backupOutputs,
  newBackupReport,
  renderBackupSummary,
  type BackupReport,
  type VaultBackupReport
} from '../../src/operations/backup/summary.js'
import { FakeClock, MemoryLog, restError } from './fakes.js'

const outcome = (name: string, status: ItemOutcome['status'], reason?: string): ItemOutcome => ({
  type: 'secrets',
  name,
  status,
  ...(reason && { reason }),
  versionCount: 1
})

describe('escaping free text', () => {
  it('keeps a newline from starting a workflow command in the log', () => {
    const text = escapeLog('x\n::set-output name=a::b\r\n::add-mask::y')
    expect(text).not.toMatch(/[\r\n]/)
    expect(text).not.toContain('::')
  })

  it('keeps Markdown and HTML in a tag from rendering in the summary', () => {
    const text = escapeMarkdown('<img src=x onerror=alert(1)> | **bold** [link](http://x)\n# heading')
    expect(text).not.toMatch(/[<>\n]/)
    expect(text).not.toMatch(/(^|[^\\])\|/)
    expect(text).toContain('\\*\\*bold\\*\\*')
  })
})

/** A step report of one vault. */
const one = (vault: VaultBackupReport): BackupReport => ({ dryRun: vault.dryRun, vaults: [vault] })

describe('renderBackupSummary', () => {
  const report = (outcomes: ItemOutcome[], extra: Partial<VaultBackupReport> = {}): BackupReport =>
    one({
      ...newBackupReport([{ url: 'https://prod.vault.azure.net', name: 'prod' }], false).vaults[0],
      outcomes,
      ...extra
    })

  it('shows totals per type, the failures with reasons and the artifact', () => {
    const md = renderBackupSummary(
      report(
        [
          outcome('a', 'backed-up'),
          outcome('b', 'failed', 'denied'),
          { type: 'keys', name: 'c', status: 'skipped', reason: 'owned by certificate' }
        ],
        {
          artifact: {
            name: 'kvb',
            id: 42,
            url: 'https://github.com/o/r/actions/runs/1/artifacts/42',
            digest: 'abc',
            size: 1
          }
        }
      )
    )
    expect(md).toContain('| secrets | 1 | 0 | 1 |')
    expect(md).toContain('| keys | 0 | 1 | 0 |')
    expect(md).toContain('| **total** | 1 | 1 | 1 |')
    expect(md).toContain('| secrets | b | denied |')
    expect(md).toContain('[kvb](https://github.com/o/r/actions/runs/1/artifacts/42) (id 42')
  })

  it('cuts the items table off past the limit and says how many were left out', () => {
    const many = Array.from({ length: 25 }, (_, i) => outcome(`s${i}`, 'backed-up'))
    const md = renderBackupSummary(report(many), 10)
    expect(md.split('\n').filter((l: string) => l.startsWith('| secrets | s'))).toHaveLength(10)
    expect(md).toContain('…and 15 more items not shown.')
  })

  it('escapes tags and content types', () => {
    const md = renderBackupSummary(
      report([outcome('a', 'backed-up')], {
        items: [
          {
            type: 'secrets',
            name: 'a',
            file: 'secrets/a.blob',
            size: 1,
            sha256: '0'.repeat(64),
            versionCount: 1,
            enabled: true,
            contentType: 'text/<b>x</b>',
            tags: { note: 'a|b\n## pwned' }
          }
        ]
      })
    )
    expect(md).not.toContain('<b>')
    expect(md).not.toContain('\n## pwned')
  })
})

describe('describeVaultError', () => {
  it.each([
    [
      'RBAC message names the action',
      restError(
        403,
        "Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/keys/backup/action'"
      ),
      'keys',
      'backup',
      /data action 'Microsoft.KeyVault\/vaults\/keys\/backup\/action'.*Key Vault Crypto Officer/
    ],
    [
      'access policy message names the permission',
      restError(
        403,
        "The user, group or application 'appid=x;oid=y' does not have secrets backup permission on key vault 'prod;location=westeurope'."
      ),
      'secrets',
      'backup',
      /access policy.*'backup' permission on secrets/
    ],
    [
      'bare 403 on listing falls back to the needed action',
      restError(403, 'Forbidden'),
      'secrets',
      'list',
      /secrets\/readMetadata\/action.*Key Vault Secrets Officer/
    ],
    [
      'bare 403 on certificates',
      restError(403, 'Forbidden'),
      'certificates',
      'backup',
      /certificates\/backup\/action.*Key Vault Certificates Officer/
    ],
    [
      'other errors keep status and message',
      restError(404, 'A secret with name x was not found'),
      'secrets',
      'backup',
      /^A secret with name x was not found \(404\)$/
    ]
  ] as const)('%s', (_, error, type, op, expected) => {
    expect(describeVaultError(error, type, op)).toMatch(expected)
  })

  it('errorMessage handles anything thrown', () => {
    expect(errorMessage(new Error('a'))).toBe('a')
    expect(errorMessage('b')).toBe('b')
    expect(errorMessage({ c: 1 })).toBe('{"c":1}')
    expect(errorMessage(undefined)).toBe('undefined')
  })
})

describe('outputs and failures', () => {
  const v: VaultBackupReport = {
    ...newBackupReport([{ url: 'u', name: 'u' }], false).vaults[0],
    outcomes: [outcome('a', 'backed-up'), outcome('b', 'failed', 'why'), outcome('c', 'skipped', 'x')],
    manifestSha256: 'f'.repeat(64),
    backupPath: '/tmp/b',
    complete: false
  }
  const r = one(v)

  it('counts, and names the failures', () => {
    expect(backupOutputs(r)).toMatchObject({
      'backed-up': '1',
      skipped: '1',
      failed: '1',
      complete: 'false',
      'manifest-sha256': 'f'.repeat(64),
      'artifact-id': ''
    })
    expect(backupFailures(r)).toBe("1 of 2 items failed:\nsecret 'b': why")
    expect(backupFailures(one({ ...v, outcomes: [outcome('a', 'backed-up')] }))).toBeUndefined()
  })

  it('counts a failed listing as a failure', () => {
    const listing = one({
      ...v,
      outcomes: [outcome('a', 'backed-up')],
      listingFailures: [{ type: 'keys' as const, reason: 'listing keys failed: 403' }]
    })
    expect(backupOutputs(listing).failed).toBe('1')
    expect(backupFailures(listing)).toBe('1 of 2 items failed:\nthe keys listing: listing keys failed: 403')
  })

  it('says one permission mistake once, naming the items it affected', () => {
    const denied = Array.from({ length: 8 }, (_, i) =>
      outcome(`s${i}`, 'failed', 'Permission denied: backup')
    )
    const message = failureMessage([...denied, outcome('t', 'failed', 'timed out')], 9, 'failed')
    expect(message).toBe(
      "9 of 9 items failed:\nsecret 's0', secret 's1', secret 's2', secret 's3', secret 's4' and 3 more: Permission denied: backup\nsecret 't': timed out"
    )
  })

  it('puts an incomplete backup at the top of the summary', () => {
    const md = renderBackupSummary(
      one({ ...v, listingFailures: [{ type: 'keys', reason: 'listing keys failed: 403' }] })
    )
    const lines = md.split('\n')
    expect(lines.findIndex(l => l.startsWith('> **Incomplete backup:**'))).toBeLessThan(
      lines.findIndex(l => l.startsWith('| Type |'))
    )
    expect(md).toContain('keys could not be listed completely; 1 items failed')
  })
})

describe('a step of several vaults', () => {
  const vault = (name: string, extra: Partial<VaultBackupReport>): VaultBackupReport => ({
    ...newBackupReport([{ url: `https://${name}.vault.azure.net`, name }], false).vaults[0],
    ...extra
  })
  const step: BackupReport = {
    dryRun: false,
    vaults: [
      vault('alpha', {
        outcomes: [outcome('a', 'backed-up'), outcome('b', 'backed-up')],
        complete: true,
        manifestSha256: 'a'.repeat(64)
      }),
      vault('beta', { fatal: 'Permission denied: the identity lacks the data action' }),
      vault('gamma', {
        outcomes: [outcome('c', 'backed-up'), outcome('d', 'failed', 'timed out')],
        complete: false
      })
    ]
  }

  it('adds the counts up, counts a failed vault, and gives each vault in results', () => {
    const out = backupOutputs(step)
    expect(out).toMatchObject({
      'backed-up': '3',
      failed: '2',
      complete: 'false',
      'manifest-sha256': '',
      'artifact-id': ''
    })
    expect(JSON.parse(out.results)).toEqual([
      expect.objectContaining({
        vault: 'alpha',
        backedUp: 2,
        failed: 0,
        complete: true,
        manifestSha256: 'a'.repeat(64)
      }),
      expect.objectContaining({
        vault: 'beta',
        backedUp: 0,
        failed: 1,
        error: expect.stringMatching(/Permission denied/)
      }),
      expect.objectContaining({ vault: 'gamma', backedUp: 1, failed: 1, complete: false })
    ])
  })

  it('names the failed vault and the failed item of another', () => {
    expect(backupFailures(step)).toBe(
      "1 of 3 vaults could not be backed up; 1 of 4 items failed:\nvault 'beta': Permission denied: the identity lacks the data action\nsecret 'd' in vault 'gamma': timed out"
    )
  })

  it('has one row per vault in the summary', () => {
    const md = renderBackupSummary(step)
    expect(md).toContain('## Key Vault backup of 3 vaults')
    expect(md.split('\n').filter(l => /^\| (alpha|beta|gamma) \|/.test(l))).toHaveLength(3)
    expect(md).toContain('| beta | 0 | 0 | 1 | **failed**: Permission denied')
  })
})

describe('ProgressReporter', () => {
  it('logs at most once per interval, with counts and rate', () => {
    const clock = new FakeClock()
    const log = new MemoryLog()
    const progress = new ProgressReporter(clock, log, 5000, () => 4)
    progress.setTotal(10)
    progress.record('backed-up')
    progress.maybeReport()
    expect(log.lines).toEqual([])
    clock.t += 5000
    progress.record('failed')
    progress.maybeReport()
    progress.maybeReport()
    expect(log.lines).toEqual([
      'info: Progress: 2/10 items, 1 backed up, 1 failed, 0.4 items/s, concurrency 4'
    ])
  })
})
