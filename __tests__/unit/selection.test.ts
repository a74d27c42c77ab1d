import { compileGlob } from '../../src/core/glob.js'
import { selectItems, type SelectionFilter } from '../../src/core/selection.js'
import { item } from './fakes.js'

const all: SelectionFilter = {
  types: ['secrets', 'keys', 'certificates'],
  include: [],
  exclude: [],
  tags: [],
  skipDisabled: false
}

const vault = [
  item('secrets', 'db-password', { tags: { env: 'prod', team: 'data' } }),
  item('secrets', 'api-key', { tags: { env: 'staging' } }),
  item('secrets', 'old-token', { enabled: false }),
  item('secrets', 'web-cert', { managed: true }),
  item('keys', 'web-cert', { managed: true }),
  item('keys', 'signing', { tags: { Env: 'prod' } }),
  item('certificates', 'web-cert')
]

describe('compileGlob', () => {
  it.each([
    ['db-*', 'db-password', true],
    ['db-*', 'DB-PASSWORD', true],
    ['db-*', 'xdb-password', false],
    ['?pi-key', 'api-key', true],
    ['api', 'api-key', false],
    ['*', 'anything', true],
    ['a.b', 'axb', false]
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(compileGlob(pattern)(name)).toBe(expected)
  })
})

describe('selectItems', () => {
  const cases: { name: string; filter: Partial<SelectionFilter>; selected: string[] }[] = [
    {
      name: 'everything but certificate-owned items',
      filter: {},
      selected: [
        'secrets/db-password',
        'secrets/api-key',
        'secrets/old-token',
        'keys/signing',
        'certificates/web-cert'
      ]
    },
    { name: 'types', filter: { types: ['keys'] }, selected: ['keys/signing'] },
    {
      name: 'include',
      filter: { include: ['db-*', 'sign*'] },
      selected: ['secrets/db-password', 'keys/signing']
    },
    {
      name: 'exclude wins over include',
      filter: { include: ['*'], exclude: ['*-token', 'web-*'] },
      selected: ['secrets/db-password', 'secrets/api-key', 'keys/signing']
    },
    {
      name: 'tags must all match; keys case-insensitive',
      filter: { tags: [{ key: 'env', value: 'prod' }] },
      selected: ['secrets/db-password', 'keys/signing']
    },
    {
      name: 'every tag line',
      filter: {
        tags: [
          { key: 'env', value: 'prod' },
          { key: 'team', value: 'd*' }
        ]
      },
      selected: ['secrets/db-password']
    },
    {
      name: 'skip-disabled',
      filter: { skipDisabled: true, types: ['secrets'] },
      selected: ['secrets/db-password', 'secrets/api-key']
    }
  ]
  it.each(cases)('$name', ({ filter, selected }) => {
    const result = selectItems(vault, { ...all, ...filter })
    expect(result.selected.map(i => `${i.type}/${i.name}`)).toEqual(selected)
    expect(result.selected.length + result.skipped.length).toBe(vault.length)
  })

  it('reports certificate-owned items as covered by their certificate', () => {
    const { skipped } = selectItems(vault, all)
    const owned = skipped.filter(s => s.name === 'web-cert')
    expect(owned).toHaveLength(2)
    for (const s of owned) expect(s.reason).toMatch(/owned by certificate 'web-cert'.*covered/)
  })

  it('says how to cover certificate-owned items when certificates are not selected', () => {
    const { skipped } = selectItems(vault, { ...all, types: ['secrets'] })
    expect(skipped.find(s => s.type === 'secrets' && s.name === 'web-cert')?.reason).toMatch(
      /select certificates/
    )
  })

  it('gives each skip a reason', () => {
    const { skipped } = selectItems(vault, { ...all, include: ['db-*'], skipDisabled: true })
    expect(skipped.find(s => s.name === 'api-key')?.reason).toBe('not matched by include')
    expect(skipped.every(s => s.reason.length > 0)).toBe(true)
  })
})
