/**
 * The sequential SDK baseline, run as its own process (Node strips the types): list every type, then
 * back up one item at a time and write each blob to a file, as a hand-written script would. It skips
 * certificate-owned keys and secrets, like the action, so both back up the same set.
 *
 * Environment: the test bed's runner environment (proxy, CA), plus AZURE_CLIENT_SECRET,
 * BENCH_VAULT_URL (a production-style URL reached through the proxy) and BENCH_OUT (a folder).
 * Prints one JSON line: { listed, backedUp, failed, seconds }.
 */
import { ClientSecretCredential } from '@azure/identity'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const env = process.env
const vaultUrl = env.BENCH_VAULT_URL ?? ''
const out = env.BENCH_OUT ?? ''
const credential = new ClientSecretCredential(
  env.AZURE_TENANT_ID ?? '',
  env.AZURE_CLIENT_ID ?? '',
  env.AZURE_CLIENT_SECRET ?? '',
  { authorityHost: env.AZURE_AUTHORITY_HOST }
)
const secrets = new SecretClient(vaultUrl, credential)
const keys = new KeyClient(vaultUrl, credential)
const certificates = new CertificateClient(vaultUrl, credential)

const started = performance.now()
const work: { type: string; name: string }[] = []
for await (const p of secrets.listPropertiesOfSecrets())
  if (!p.managed) work.push({ type: 'secrets', name: p.name })
for await (const p of keys.listPropertiesOfKeys()) if (!p.managed) work.push({ type: 'keys', name: p.name })
for await (const p of certificates.listPropertiesOfCertificates())
  if (p.name) work.push({ type: 'certificates', name: p.name })

for (const type of ['secrets', 'keys', 'certificates']) mkdirSync(join(out, type), { recursive: true })
let backedUp = 0
let failed = 0
for (const item of work) {
  try {
    const blob =
      item.type === 'secrets'
        ? await secrets.backupSecret(item.name)
        : item.type === 'keys'
          ? await keys.backupKey(item.name)
          : await certificates.backupCertificate(item.name)
    if (!blob) throw new Error('empty backup')
    writeFileSync(join(out, item.type, `${item.name}.blob`), blob)
    backedUp++
  } catch (error) {
    failed++
    console.error(`${item.type}/${item.name}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
const seconds = (performance.now() - started) / 1000
console.log(JSON.stringify({ listed: work.length, backedUp, failed, seconds }))
