import { OBJECT_NAME } from './manifest.js'
import type { ItemType } from './types.js'

/** One `rename` line: `pattern=replacement`, each side with at most one `*`. */
export interface RenameRule {
  pattern: string
  replacement: string
}

/** Parses the `rename` lines; returns the rules and a problem per bad line. */
export function parseRenameRules(lines: readonly string[]): { rules: RenameRule[]; problems: string[] } {
  const rules: RenameRule[] = []
  const problems: string[] = []
  for (const line of lines) {
    const eq = line.indexOf('=')
    const pattern = line.slice(0, eq).trim()
    const replacement = line.slice(eq + 1).trim()
    const stars = (text: string) => text.split('*').length - 1
    if (eq <= 0 || !replacement) {
      problems.push(`${JSON.stringify(line)}: expected pattern=replacement, e.g. prod-*=staging-*`)
    } else if (stars(pattern) > 1 || stars(replacement) > 1) {
      problems.push(`${JSON.stringify(line)}: each side may hold at most one '*'`)
    } else if (stars(replacement) === 1 && stars(pattern) === 0) {
      problems.push(`${JSON.stringify(line)}: the replacement has a '*' but the pattern has none to fill it`)
    } else if (!/^[0-9a-zA-Z*-]+$/.test(pattern) || !/^[0-9a-zA-Z*-]+$/.test(replacement)) {
      problems.push(`${JSON.stringify(line)}: names hold letters, digits and '-' (and one '*')`)
    } else rules.push({ pattern, replacement })
  }
  return { rules, problems }
}

/** The name `name` gets under the first rule that matches it (case-insensitive), or itself. */
export function renamed(name: string, rules: readonly RenameRule[]): string {
  for (const { pattern, replacement } of rules) {
    const star = pattern.indexOf('*')
    if (star < 0) {
      if (pattern.toLowerCase() === name.toLowerCase()) return replacement
      continue
    }
    const head = pattern.slice(0, star)
    const tail = pattern.slice(star + 1)
    const lower = name.toLowerCase()
    if (
      name.length >= head.length + tail.length &&
      lower.startsWith(head.toLowerCase()) &&
      lower.endsWith(tail.toLowerCase())
    ) {
      const middle = name.slice(head.length, name.length - tail.length)
      return replacement.replace('*', middle)
    }
  }
  return name
}

/** A source item and the name it takes in the target. */
export interface NameMapping {
  type: ItemType
  name: string
  target: string
}

/**
 * What stops a copy before any write: target names Key Vault would refuse, and two items landing on
 * one name. Names are case-insensitive; a certificate also holds its name among secrets and keys
 * (its own secret and key), so a secret or key may not land on a certificate's name.
 */
export function renameProblems(mappings: readonly NameMapping[]): string[] {
  const problems: string[] = []
  const what = (m: NameMapping) => `${m.type.slice(0, -1)} '${m.name}'`
  for (const m of mappings) {
    if (!OBJECT_NAME.test(m.target)) {
      problems.push(
        `${what(m)} would be renamed to '${m.target.slice(0, 140)}', which is not a valid Key Vault name (1-127 letters, digits and '-')`
      )
    }
  }
  const holders = new Map<string, NameMapping[]>()
  for (const m of mappings) {
    const spaces = m.type === 'certificates' ? ['secrets', 'keys'] : [m.type]
    for (const space of spaces) {
      const key = `${space}/${m.target.toLowerCase()}`
      holders.set(key, [...(holders.get(key) ?? []), m])
    }
  }
  const reported = new Set<string>()
  for (const [key, list] of holders) {
    if (list.length < 2) continue
    const names = list.map(what).join(' and ')
    if (reported.has(names)) continue
    reported.add(names)
    problems.push(
      `${names} would both land on the name '${list[0].target}' (${key.split('/')[0]} in the target)`
    )
  }
  return problems
}
