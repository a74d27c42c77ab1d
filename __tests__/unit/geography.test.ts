import { geographyOf } from '../../src/core/geography.js'

describe('geographyOf: the boundary a backup blob restores within (with the subscription)', () => {
  it.each([
    ['westeurope', 'Europe'],
    ['North Europe', 'Europe'],
    ['uksouth', 'United Kingdom'],
    ['eastus', 'United States'],
    ['West US 3', 'United States'],
    ['germanywestcentral', 'Germany'],
    ['australiaeast', 'Australia'],
    ['southeastasia', 'Asia Pacific'],
    ['usgovvirginia', 'Azure Government'],
    ['chinanorth3', 'China']
  ])('%s is in %s', (region, geography) => {
    expect(geographyOf(region)).toBe(geography)
  })

  it('keeps regions of one geography together and apart from the others', () => {
    expect(geographyOf('eastus')).toBe(geographyOf('westus2'))
    expect(geographyOf('westeurope')).not.toBe(geographyOf('uksouth'))
    expect(geographyOf('eastus')).not.toBe(geographyOf('usgovvirginia'))
  })

  it('does not guess a region it does not know', () => {
    expect(geographyOf('marsnorth')).toBeUndefined()
    expect(geographyOf(undefined)).toBeUndefined()
  })
})
