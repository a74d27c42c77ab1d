/**
 * Compiles a name glob (`*` any run of characters, `?` one character) into a matcher. Key Vault
 * names are case-insensitive, so matching is too.
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  const source = pattern
    .split('')
    .map(ch => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('')
  const regex = new RegExp(`^${source}$`, 'is')
  return name => regex.test(name)
}
