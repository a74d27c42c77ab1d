/**
 * Workflow-command and summary injection (issue 6). Tags and content types are free text that anyone
 * who can write to the vault controls, and a manifest is free text that anyone who can produce an
 * artifact or folder controls. Values holding `::` commands, line breaks, table pipes, HTML or
 * Markdown links must come out as text: no new workflow command in the log, no forged output, no
 * HTML or broken table in the job summary.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const entry = process.env.KVB_ACTION_ENTRY

/** Every payload carries PWNED, so any place it lands as a command is easy to find. */
const PAYLOADS = {
  newlineError: 'x\n::error::PWNED-error',
  crlfWarning: 'x\r\n::warning title=PWNED::PWNED-warning',
  setOutput: '\n::set-output name=backed-up::PWNED-999',
  addMask: '\n::add-mask::backed-up PWNED',
  stopCommands: '\n::stop-commands::PWNEDTOKEN\n::error::PWNED-after-stop',
  midLine: 'before ::error::PWNED-midline',
  pipes: 'a | b | PWNED | c',
  script: '<script>alert("PWNED")</script>',
  img: '<img src=x onerror=alert("PWNED")>',
  link: '[PWNED](javascript:alert(1))',
  heading: '\n# PWNED heading\n',
  unicodeLine: 'x\u2028::error::PWNED-u2028'
}

const KNOWN_COMMANDS = /^::(add-mask|debug|warning|error|notice|group|endgroup)( [^:]*)?::/

let testbed: Testbed

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [20, 40], purgeWindowMs: [20, 40] } })
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  const vault = await testbed.keyvault.addVault({ ...prod, name: 'tagged' })
  const names = Object.keys(PAYLOADS) as Array<keyof typeof PAYLOADS>
  names.forEach((name, i) =>
    vault.seedSecret(`inj-${name.toLowerCase()}`, 'v', {
      tags: { payload: PAYLOADS[name], 'key | PWNED': 'v' },
      contentType: PAYLOADS[names[(i + 1) % names.length]]
    })
  )
  vault.seedKey('inj-key', { kty: 'EC', tags: { note: PAYLOADS.newlineError } })
}, 60_000)
afterAll(() => testbed?.stop())

/** Lines as the runner splits them: on \n, and a lone \r also ends a line in many log viewers. */
const lines = (text: string) => text.split(/\r?\n|\r/)

/** No injected workflow command: every `::` line is a command the action itself emits, and none carries a payload. */
function expectNoInjectedCommand(result: RunResult): void {
  const bad = [...lines(result.stdout), ...lines(result.stderr)].filter(
    line => line.startsWith('::') && (!KNOWN_COMMANDS.test(line) || line.includes('PWNED'))
  )
  expect(bad).toEqual([])
  // Only tokens are ever masked (JWTs, and the github-token input): a forged mask could hide the
  // step's own outputs.
  const masks = lines(result.stdout).filter(line => line.startsWith('::add-mask::'))
  for (const mask of masks) expect(mask).toMatch(/^::add-mask::(eyJ[\w-]+\.[\w-]+\.[\w-]+|ghs_[\w-]+)$/)
}

/** The summary renders payloads as text: no HTML, no link, no heading, and table rows keep their cells. */
function expectSafeSummary(summary: string): void {
  expect(summary).not.toMatch(/<(script|img|svg|iframe|a)\b/i)
  expect(summary).not.toMatch(/(^|[^\\])\]\(javascript:/)
  const summaryLines = lines(summary)
  expect(summaryLines.filter(line => /^\s*#+ .*PWNED/.test(line))).toEqual([])
  expect(summaryLines.filter(line => line.includes('PWNED') && !line.startsWith('|'))).toEqual([])
  // A table's rows have as many unescaped pipes as its header.
  let header = -1
  for (const line of summaryLines) {
    if (!line.startsWith('|')) {
      header = -1
      continue
    }
    const cells = (line.match(/(?<!\\)\|/g) ?? []).length
    if (header < 0) header = cells
    else expect({ line, cells }).toEqual({ line, cells: header })
  }
}

describe('a backup of items with hostile tags and content types', () => {
  let result: RunResult

  beforeAll(async () => {
    result = await runAction({ env: testbed.env, inputs: { vault: 'tagged', upload: 'false' }, entry })
  }, 60_000)

  it('succeeds and keeps the values verbatim in the manifest', () => {
    expect(result.exitCode).toBe(0)
    const manifest = JSON.parse(readFileSync(join(result.outputs['backup-path'], 'manifest.json'), 'utf8'))
    const item = manifest.items.find((i: { name: string }) => i.name === 'inj-newlineerror')
    expect(item.tags.payload).toBe(PAYLOADS.newlineError)
  })

  it('injects no workflow command into the log', () => expectNoInjectedCommand(result))

  it('writes only its own outputs, with true values', () => {
    expect(Object.keys(result.outputs).sort()).toEqual(
      [
        'artifact-digest',
        'artifact-id',
        'artifact-url',
        'backed-up',
        'backup-path',
        'complete',
        'failed',
        'manifest-sha256',
        'results',
        'skipped'
      ].sort()
    )
    expect(result.outputs['backed-up']).toBe(String(Object.keys(PAYLOADS).length + 1))
    expect(JSON.parse(result.outputs.results)).toEqual([
      expect.objectContaining({ vault: 'tagged', backedUp: Object.keys(PAYLOADS).length + 1, failed: 0 })
    ])
  })

  it('renders the payloads as text in the job summary', () => {
    expect(result.summary).toContain('PWNED')
    expectSafeSummary(result.summary)
  })

  it('injects nothing in a dry run either', async () => {
    const dry = await runAction({ env: testbed.env, inputs: { vault: 'tagged', 'dry-run': 'true' }, entry })
    expect(dry.exitCode).toBe(0)
    expectNoInjectedCommand(dry)
    expectSafeSummary(dry.summary)
  }, 60_000)
})

describe('a restore from a backup whose manifest carries hostile text', () => {
  let folder: string

  beforeAll(async () => {
    const backup = await runAction({ env: testbed.env, inputs: { vault: 'tagged', upload: 'false' }, entry })
    folder = backup.outputs['backup-path']
  }, 60_000)

  it('restores the hostile tags as data, and injects nothing', async () => {
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    await testbed.keyvault.addVault({ ...prod, name: 'tagged-copy' })
    const result = await runAction({
      env: testbed.env,
      inputs: { operation: 'restore', vault: 'tagged-copy', path: folder },
      entry
    })
    expect(result.exitCode).toBe(0)
    expectNoInjectedCommand(result)
    expectSafeSummary(result.summary)
    const restored = testbed.keyvault.vault('tagged-copy').state().secrets.active
    expect(restored.find(s => s.name === 'inj-newlineerror')?.tags.payload).toBe(PAYLOADS.newlineError)
  }, 60_000)

  it('shows an edited manifest text (source vault, creation time, tool) as text in the plan', async () => {
    const path = join(folder, 'manifest.json')
    const manifest = JSON.parse(readFileSync(path, 'utf8'))
    manifest.source.vaultUrl = `https://tagged.vault.azure.net${PAYLOADS.newlineError}`
    manifest.source.vaultName = PAYLOADS.stopCommands
    manifest.createdAt = `2026-01-01T00:00:00Z${PAYLOADS.script}${PAYLOADS.heading}`
    manifest.tool = { name: PAYLOADS.setOutput, version: PAYLOADS.addMask }
    manifest.source.cloud = PAYLOADS.pipes
    writeFileSync(path, JSON.stringify(manifest, null, 2))
    const result = await runAction({
      env: testbed.env,
      inputs: { operation: 'restore', vault: 'staging', path: folder, 'dry-run': 'true' },
      entry
    })
    // Refusing such a manifest is as good as showing it safely; injecting is not.
    expectNoInjectedCommand(result)
    expectSafeSummary(result.summary)
  }, 60_000)
})
