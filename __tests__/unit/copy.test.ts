import {
  decideCopy,
  sameCertificateVersion,
  samePolicy,
  sameSecretVersion,
  versionsMissing,
  type CopyFound,
  type CopyIfDeleted,
  type CopyIfExists,
  type SecretVersionShape
} from '../../src/core/copy.js'
import { parseRenameRules, renamed, renameProblems } from '../../src/core/rename.js'

describe('rename rules', () => {
  const { rules } = parseRenameRules(['prod-*=staging-*', 'legacy-db=db', '*-old=archive-*', 'x*=y'])

  it.each([
    ['prod-db', 'staging-db'],
    ['PROD-api-key', 'staging-api-key'],
    ['legacy-db', 'db'],
    ['Legacy-DB', 'db'],
    ['billing-old', 'archive-billing'],
    // The first matching line wins: prod-x-old matches 'prod-*' before '*-old'.
    ['prod-x-old', 'staging-x-old'],
    ['xyz', 'y'],
    ['other', 'other']
  ])('%s -> %s', (name, expected) => {
    expect(renamed(name, rules)).toBe(expected)
  })

  it.each([
    ['no equals sign', 'prod-db', /expected pattern=replacement/],
    ['an empty replacement', 'prod-*=', /expected pattern=replacement/],
    ['two stars', 'a-*-*=b-*', /at most one '\*'/],
    ['a star to fill from nowhere', 'a=b-*', /the replacement has a '\*' but the pattern has none/],
    ['a character Key Vault never uses', 'a_b=c', /letters, digits and '-'/]
  ])('refuses %s', (_, line, problem) => {
    const result = parseRenameRules([line])
    expect(result.rules).toEqual([])
    expect(result.problems).toEqual([expect.stringMatching(problem)])
  })

  it('names every collision and every invalid target name, before any write', () => {
    const problems = renameProblems([
      { type: 'secrets', name: 'prod-db', target: 'db' },
      { type: 'secrets', name: 'legacy-db', target: 'DB' },
      { type: 'secrets', name: 'long', target: 'x'.repeat(128) },
      { type: 'certificates', name: 'prod-web', target: 'web' },
      { type: 'secrets', name: 'web', target: 'web' },
      { type: 'keys', name: 'db', target: 'db' }
    ])
    expect(problems).toEqual([
      expect.stringMatching(
        /^secret 'long' would be renamed to 'x{128}', which is not a valid Key Vault name/
      ),
      "secret 'prod-db' and secret 'legacy-db' would both land on the name 'db' (secrets in the target)",
      "certificate 'prod-web' and secret 'web' would both land on the name 'web' (secrets in the target)"
    ])
  })

  it('lets a key and a secret share a name (they are apart in Key Vault), not a certificate and a key', () => {
    expect(
      renameProblems([
        { type: 'secrets', name: 'a', target: 'a' },
        { type: 'keys', name: 'a', target: 'a' }
      ])
    ).toEqual([])
    expect(
      renameProblems([
        { type: 'certificates', name: 'c', target: 'a' },
        { type: 'keys', name: 'a', target: 'a' }
      ])
    ).toEqual(["certificate 'c' and key 'a' would both land on the name 'a' (keys in the target)"])
  })
})

describe('versionsMissing: what the target still lacks of the source, oldest first', () => {
  const same = (a: string, b: string) => a === b
  it.each([
    ['absent target', ['a', 'b', 'c'], [], 3],
    ['equal', ['a', 'b', 'c'], ['a', 'b', 'c'], 0],
    ['equal, with older versions of its own before', ['a', 'b'], ['x', 'a', 'b'], 0],
    ['a strict prefix: the source gained a version', ['a', 'b', 'c'], ['a', 'b'], 1],
    ['diverged: the target got its own newest version', ['a', 'b'], ['a', 'b', 'x'], 2],
    ['latest only, equal', ['c'], ['a', 'b', 'c'], 0],
    ['latest only, differs', ['d'], ['a', 'b', 'c'], 1]
  ])('%s', (_, source, target, missing) => {
    expect(versionsMissing(source, target, same)).toBe(missing)
    // Writing the missing versions makes them equal: a second run writes nothing.
    const after = [...target, ...source.slice(source.length - missing)]
    expect(versionsMissing(source, after, same)).toBe(0)
  })
})

describe('equality', () => {
  const secret: SecretVersionShape = {
    value: 'v',
    contentType: 'text/plain',
    tags: { a: '1' },
    enabled: true,
    notBefore: 100,
    expiresOn: 200
  }
  it.each([
    ['the value', { value: 'w' }],
    ['the content type', { contentType: 'application/json' }],
    ['a tag value', { tags: { a: '2' } }],
    ['an extra tag', { tags: { a: '1', b: '2' } }],
    ['the enabled flag', { enabled: false }],
    ['not-before', { notBefore: 101 }],
    ['the expiry', { expiresOn: undefined }]
  ])('a secret version differs in %s', (_, change) => {
    expect(sameSecretVersion(secret, { ...secret })).toBe(true)
    expect(sameSecretVersion(secret, { ...secret, ...change })).toBe(false)
  })

  it('treats no content type and an empty one alike', () => {
    expect(sameSecretVersion({ ...secret, contentType: undefined }, { ...secret, contentType: '' })).toBe(
      true
    )
  })

  it('compares certificates by thumbprint (any case), enabled flag and tags, and policies by what copy carries', () => {
    const cert = { thumbprint: 'ABCDEF', enabled: true, tags: {} }
    expect(sameCertificateVersion(cert, { ...cert, thumbprint: 'abcdef' })).toBe(true)
    expect(sameCertificateVersion(cert, { ...cert, thumbprint: 'abcdee' })).toBe(false)
    const policy = { keyType: 'RSA', keySize: 2048, exportable: true, reuseKey: false, emailBeforeExpiry: [] }
    expect(samePolicy(policy, { keyType: 'rsa', keySize: 2048 })).toBe(true)
    expect(samePolicy(policy, { ...policy, keySize: 4096 })).toBe(false)
    expect(samePolicy(policy, { ...policy, emailBeforeExpiry: [{ daysBeforeExpiry: 30 }] })).toBe(false)
  })
})

describe('decideCopy: every cell of the table', () => {
  const active = (missing: number, purgeProtected = false): CopyFound => ({
    kind: 'active',
    missing,
    purgeProtected
  })
  const deleted = (purgeProtected = false): CopyFound => ({
    kind: 'deleted',
    purgeProtected,
    ...(purgeProtected && { scheduledPurgeDate: '2027-02-26T00:00:00.000Z' })
  })
  const E: CopyIfExists[] = ['skip', 'update', 'fail', 'replace']
  const D: CopyIfDeleted[] = ['fail', 'skip', 'recover', 'purge']
  const cases: [string, CopyFound, CopyIfExists, CopyIfDeleted, string, RegExp?][] = [
    ...E.flatMap(e =>
      D.map(
        d =>
          ['absent', { kind: 'absent' }, e, d, 'create'] as [
            string,
            CopyFound,
            CopyIfExists,
            CopyIfDeleted,
            string
          ]
      )
    ),
    ...E.map(
      e =>
        ['equal', active(0), e, 'fail', 'unchanged'] as [
          string,
          CopyFound,
          CopyIfExists,
          CopyIfDeleted,
          string
        ]
    ),
    ['different', active(2), 'skip', 'fail', 'skip'],
    ['different', active(2), 'update', 'fail', 'update', /2 versions to write/],
    ['different', active(2), 'fail', 'fail', 'fail', /exists in the target and differs/],
    ['different', active(2), 'replace', 'fail', 'replace'],
    ['different, purge protection', active(1, true), 'replace', 'fail', 'fail', /purge protection/],
    ['different, purge protection', active(1, true), 'update', 'fail', 'update'],
    ['soft-deleted', deleted(), 'skip', 'fail', 'fail', /'recover' or 'purge'/],
    ['soft-deleted', deleted(), 'skip', 'skip', 'skip'],
    ['soft-deleted', deleted(), 'skip', 'recover', 'recover'],
    ['soft-deleted', deleted(), 'skip', 'purge', 'purge-and-create'],
    ['soft-deleted, purge protection', deleted(true), 'skip', 'purge', 'fail', /frees up on 2027-02-26/],
    ['soft-deleted, purge protection', deleted(true), 'skip', 'recover', 'recover'],
    ['soft-deleted, purge protection', deleted(true), 'skip', 'fail', 'fail', /'recover' \(purge protection/],
    [
      'owned by a certificate',
      { kind: 'certificate-owned' },
      'replace',
      'purge',
      'fail',
      /belongs to a certificate/
    ]
  ]
  it.each(cases.map(([l, f, e, d, a, r]) => [l, f, e, d, a, r ?? null] as const))(
    '%s, if-exists %s / if-deleted %s',
    (_, found, ifExists, ifDeleted, action, reason) => {
      const decision = decideCopy('secrets', 'db', found, { ifExists, ifDeleted })
      expect(decision.action).toBe(action)
      if (reason) expect(decision.reason).toMatch(reason)
    }
  )

  it('never updates a key: its material cannot be written from outside', () => {
    expect(decideCopy('keys', 'k', active(1), { ifExists: 'update', ifDeleted: 'fail' })).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/use if-exists 'replace'/)
    })
  })
})
