/** Fills a vault with a realistic mix of items, for the demo, the benchmark and the end-to-end tests. */
import type { EmulatedVault } from './keyvault/emulator.js'

export interface SeedCounts {
  secrets: number
  keys: number
  certificates: number
}

/**
 * Seeds `vault` with secrets (1-5 versions, tags, content types), RSA and EC keys, and self-signed
 * certificates (each owning a managed key and secret). Deterministic for a given count.
 */
export function seedRealisticVault(vault: EmulatedVault, counts: SeedCounts): void {
  const apps = ['billing', 'checkout', 'search', 'identity', 'reports']
  const kinds = ['db-password', 'api-key', 'connection-string', 'webhook-secret', 'signing-salt']
  for (let i = 0; i < counts.secrets; i++) {
    const app = apps[i % apps.length]
    const kind = kinds[Math.floor(i / apps.length) % kinds.length]
    const name = `${app}-${kind}${i >= 25 ? `-${i}` : ''}`
    vault.seedSecret(name, `demo-value-${i}-${'x'.repeat(16)}`, {
      versions: 1 + (i % 5),
      tags: { app, env: i % 3 === 0 ? 'prod' : 'shared', owner: 'platform' },
      contentType: kind === 'connection-string' ? 'text/plain' : undefined,
      enabled: i % 11 !== 10
    })
  }
  for (let i = 0; i < counts.keys; i++) {
    vault.seedKey(`${apps[i % apps.length]}-${i % 2 === 0 ? 'rsa' : 'ec'}-key${i >= 10 ? `-${i}` : ''}`, {
      kty: i % 2 === 0 ? 'RSA' : 'EC',
      versions: 1 + (i % 3),
      tags: { app: apps[i % apps.length], purpose: i % 2 === 0 ? 'encryption' : 'signing' }
    })
  }
  for (let i = 0; i < counts.certificates; i++) {
    vault.seedCertificate(`${apps[i % apps.length]}-tls${i >= 5 ? `-${i}` : ''}`, {
      versions: 1 + (i % 2),
      tags: { app: apps[i % apps.length], kind: 'tls' }
    })
  }
}
