/**
 * The sequential SDK baseline of a copy, run as its own process (Node strips the types): list the
 * source's secrets and certificates, then copy one item at a time, as a hand-written script would:
 * a secret is SecretClient.getSecret then setSecret (value, content type, tags, enabled flag,
 * dates); a certificate is getSecret of its backing secret (the PFX or PEM the service exports)
 * then CertificateClient.importCertificate. It skips certificate-owned secrets, like the action.
 *
 * Environment: the test bed's runner environment (proxy, CA), plus AZURE_CLIENT_SECRET,
 * BENCH_VAULT_URL (the source) and BENCH_TARGET_URL (the target), production-style URLs reached
 * through the proxy. Prints one JSON line: { listed, copied, failed, seconds }.
 */
import { ClientSecretCredential } from '@azure/identity'
import { CertificateClient } from '@azure/keyvault-certificates'
import { SecretClient } from '@azure/keyvault-secrets'

const env = process.env
const credential = new ClientSecretCredential(
  env.AZURE_TENANT_ID ?? '',
  env.AZURE_CLIENT_ID ?? '',
  env.AZURE_CLIENT_SECRET ?? '',
  { authorityHost: env.AZURE_AUTHORITY_HOST }
)
const source = {
  secrets: new SecretClient(env.BENCH_VAULT_URL ?? '', credential),
  certificates: new CertificateClient(env.BENCH_VAULT_URL ?? '', credential)
}
const target = {
  secrets: new SecretClient(env.BENCH_TARGET_URL ?? '', credential),
  certificates: new CertificateClient(env.BENCH_TARGET_URL ?? '', credential)
}

const started = performance.now()
const work: { type: 'secrets' | 'certificates'; name: string }[] = []
for await (const p of source.secrets.listPropertiesOfSecrets())
  if (!p.managed) work.push({ type: 'secrets', name: p.name })
for await (const p of source.certificates.listPropertiesOfCertificates())
  if (p.name) work.push({ type: 'certificates', name: p.name })

let copied = 0
let failed = 0
for (const item of work) {
  try {
    if (item.type === 'secrets') {
      const secret = await source.secrets.getSecret(item.name)
      const p = secret.properties
      await target.secrets.setSecret(item.name, secret.value ?? '', {
        contentType: p.contentType,
        tags: p.tags,
        enabled: p.enabled,
        notBefore: p.notBefore,
        expiresOn: p.expiresOn
      })
    } else {
      const exported = await source.secrets.getSecret(item.name)
      const value = exported.value ?? ''
      const pem = value.includes('-----BEGIN')
      await target.certificates.importCertificate(
        item.name,
        pem ? Buffer.from(value, 'utf8') : Buffer.from(value, 'base64'),
        {
          policy: { contentType: pem ? 'application/x-pem-file' : 'application/x-pkcs12' },
          tags: exported.properties.tags
        }
      )
    }
    copied++
  } catch (error) {
    failed++
    console.error(`${item.type}/${item.name}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
const seconds = (performance.now() - started) / 1000
console.log(JSON.stringify({ listed: work.length, copied, failed, seconds }))
