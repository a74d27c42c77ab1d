/**
 * Azure's published geographies (Microsoft Learn, "Azure regions list"): the boundary inside which
 * a Key Vault backup blob restores, together with the subscription. Keyed by the programmatic
 * region name, as `x-ms-keyvault-region` and Resource Manager's `location` give it.
 */
const GEOGRAPHIES: Record<string, readonly string[]> = {
  'United States': [
    'centralus',
    'eastus',
    'eastus2',
    'northcentralus',
    'southcentralus',
    'westcentralus',
    'westus',
    'westus2',
    'westus3'
  ],
  'Azure Government': [
    'usgovvirginia',
    'usgovtexas',
    'usgovarizona',
    'usgoviowa',
    'usdodeast',
    'usdodcentral'
  ],
  Canada: ['canadacentral', 'canadaeast'],
  Brazil: ['brazilsouth', 'brazilsoutheast'],
  Mexico: ['mexicocentral'],
  Chile: ['chilecentral'],
  Europe: ['northeurope', 'westeurope'],
  'United Kingdom': ['uksouth', 'ukwest'],
  France: ['francecentral', 'francesouth'],
  Germany: ['germanywestcentral', 'germanynorth'],
  Switzerland: ['switzerlandnorth', 'switzerlandwest'],
  Norway: ['norwayeast', 'norwaywest'],
  Sweden: ['swedencentral', 'swedensouth'],
  Poland: ['polandcentral'],
  Italy: ['italynorth'],
  Spain: ['spaincentral'],
  Austria: ['austriaeast'],
  Belgium: ['belgiumcentral'],
  Denmark: ['denmarkeast'],
  'Asia Pacific': ['eastasia', 'southeastasia'],
  Australia: ['australiaeast', 'australiasoutheast', 'australiacentral', 'australiacentral2'],
  Japan: ['japaneast', 'japanwest'],
  Korea: ['koreacentral', 'koreasouth'],
  India: ['centralindia', 'southindia', 'westindia', 'jioindiawest', 'jioindiacentral'],
  Indonesia: ['indonesiacentral'],
  Malaysia: ['malaysiawest'],
  'New Zealand': ['newzealandnorth'],
  UAE: ['uaenorth', 'uaecentral'],
  Qatar: ['qatarcentral'],
  Israel: ['israelcentral'],
  'South Africa': ['southafricanorth', 'southafricawest'],
  China: ['chinaeast', 'chinaeast2', 'chinaeast3', 'chinanorth', 'chinanorth2', 'chinanorth3']
}

const BY_REGION = new Map(
  Object.entries(GEOGRAPHIES).flatMap(([geography, regions]) => regions.map(r => [r, geography] as const))
)

/** The geography of a region ('West Europe', 'westeurope' alike), or undefined for a region not in the table. */
export function geographyOf(location: string | undefined): string | undefined {
  return location ? BY_REGION.get(location.toLowerCase().replace(/[\s-]/g, '')) : undefined
}
