import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto'
import forge from 'node-forge'
import { WellKnownIssuer, type ImportCertificateOptions } from '@azure/keyvault-certificates'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'
import { issueSelfSigned } from '../../testbed/keyvault/x509.js'
import { startTestEnv, type TestEnv } from '../../testbed/keyvault/test-support.js'

const POLL = { intervalInMs: 50 }

async function failure(
  promise: Promise<unknown>
): Promise<{ code: string; statusCode: number; message: string }> {
  try {
    await promise
  } catch (error) {
    return error as { code: string; statusCode: number; message: string }
  }
  throw new Error('expected a failure')
}

function selfSignedPem(cn: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const der = issueSelfSigned(pem, { subject: `CN=${cn}`, validityMonths: 1, now: Date.now() })
  return pem + new X509Certificate(der).toString()
}

describe('Key Vault emulator: certificates through CertificateClient', () => {
  let env: TestEnv
  let vault: EmulatedVault

  beforeAll(async () => {
    env = await startTestEnv()
    vault = await env.vault({ name: 'certs-vault' })
  })
  afterAll(() => env.stop())

  it('creates a self-signed certificate through the pending operation the poller reads', async () => {
    const { certificates, secrets, keys } = env.clients(vault)
    const poller = await certificates.beginCreateCertificate(
      'web-tls',
      { issuerName: WellKnownIssuer.Self, subject: 'CN=web.example.com', validityInMonths: 6 },
      { ...POLL, tags: { app: 'web' } }
    )
    const cert = await poller.pollUntilDone()
    // The operation answered inProgress first, then completed.
    expect(
      env.emulator.requestLog.filter(e => e.operation === 'GetCertificateOperation').length
    ).toBeGreaterThanOrEqual(2)
    expect(cert.properties.version).toMatch(/^[0-9a-f]{32}$/)
    expect(cert.policy?.subject).toBe('CN=web.example.com')
    expect(cert.properties.tags).toEqual({ app: 'web' })
    const x509 = new X509Certificate(Buffer.from(cert.cer!))
    expect(x509.subject).toBe('CN=web.example.com')
    expect(cert.keyId).toBe(`${vault.localUrl}/keys/web-tls/${cert.properties.version}`)
    // The certificate owns a key and a secret of the same name and version, marked managed.
    const secret = await secrets.getSecret('web-tls')
    expect(secret.properties.managed).toBe(true)
    expect(secret.properties.contentType).toBe('application/x-pkcs12')
    expect(secret.properties.version).toBe(cert.properties.version)
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(secret.value!)), false, '')
    expect(p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]).toHaveLength(1)
    const key = await keys.getKey('web-tls')
    expect(key.properties.managed).toBe(true)
    expect(key.key?.n).toBeDefined()
    const listed = []
    for await (const s of secrets.listPropertiesOfSecrets()) if (s.name === 'web-tls') listed.push(s.managed)
    expect(listed).toEqual([true])
    const refused = await failure(secrets.backupSecret('web-tls'))
    expect(refused.statusCode).toBe(403)
    expect(refused.message).toContain(
      'Operation "backup" is not allowed on this Secret, since it is associated with a certificate.'
    )
    const refusedKey = await failure(keys.backupKey('web-tls'))
    expect(refusedKey.message).toContain(
      'Operation "backup" is not allowed on this Key, since it is associated with a certificate.'
    )
  })

  it('creates an EC certificate with a PEM secret', async () => {
    const { certificates, secrets, keys } = env.clients(vault)
    const poller = await certificates.beginCreateCertificate(
      'ec-tls',
      {
        issuerName: 'Self',
        subject: 'CN=ec.example.com',
        keyType: 'EC',
        keyCurveName: 'P-384',
        contentType: 'application/x-pem-file'
      },
      POLL
    )
    const cert = await poller.pollUntilDone()
    expect(new X509Certificate(Buffer.from(cert.cer!)).publicKey.asymmetricKeyDetails?.namedCurve).toBe(
      'secp384r1'
    )
    const secret = await secrets.getSecret('ec-tls')
    expect(secret.properties.contentType).toBe('application/x-pem-file')
    expect(createPrivateKey(secret.value!).asymmetricKeyType).toBe('ec')
    expect((await keys.getKey('ec-tls')).key?.crv).toBe('P-384')
  })

  it('imports PEM and PFX certificates', async () => {
    const { certificates, secrets } = env.clients(vault)
    const pem = selfSignedPem('imported.example.com')
    // @azure/keyvault-certificates 4.10 serializes `certificatePolicy`, not the documented `policy`
    // option (which it drops); without a policy it sends the PEM base64-encoded, which the service accepts.
    const fromPem = await certificates.importCertificate('imported-pem', Buffer.from(pem), {
      certificatePolicy: { secretProperties: { contentType: 'application/x-pem-file' } }
    } as ImportCertificateOptions)
    expect(new X509Certificate(Buffer.from(fromPem.cer!)).subject).toBe('CN=imported.example.com')
    expect(fromPem.policy?.contentType).toBe('application/x-pem-file')
    expect(fromPem.policy?.issuerName).toBe('Unknown')
    const pemSecret = await secrets.getSecret('imported-pem')
    expect(pemSecret.properties.contentType).toBe('application/x-pem-file')
    expect(pemSecret.value).toContain('-----BEGIN CERTIFICATE-----')
    expect(createPrivateKey(pemSecret.value!).asymmetricKeyType).toBe('rsa')

    const pfxSecret = await secrets.getSecret('web-tls')
    const fromPfx = await certificates.importCertificate(
      'imported-pfx',
      Buffer.from(pfxSecret.value!, 'base64')
    )
    expect(fromPfx.properties.x509Thumbprint).toEqual(
      (await certificates.getCertificate('web-tls')).properties.x509Thumbprint
    )
  })

  it('backs up all versions with policy, key and secret; restores them after delete and purge', async () => {
    vault.seedCertificate('rotated', { versions: 2, tags: { kind: 'tls' } })
    const { certificates, secrets } = env.clients(vault)
    const before = vault.state()
    const secretBefore = await secrets.getSecret('rotated')
    const blob = await certificates.backupCertificate('rotated')
    const bytes = Buffer.from(blob!)
    expect(bytes.subarray(1, 1 + bytes[0]).toString('ascii')).toBe('AzureKeyVaultKeyBackupV1.microsoft.com')
    const deleted = await (await certificates.beginDeleteCertificate('rotated', POLL)).pollUntilDone()
    expect(deleted.recoveryId).toBe(`${vault.localUrl}/deletedcertificates/rotated`)
    // Deleting the certificate takes its key and secret along.
    expect((await failure(secrets.getSecret('rotated'))).statusCode).toBe(404)
    await certificates.purgeDeletedCertificate('rotated')
    env.clock.advance(1000)
    const restored = await certificates.restoreCertificateBackup(blob!)
    expect(restored.name).toBe('rotated')
    const after = vault.state()
    const pick = (s: typeof before, kind: 'certificates' | 'secrets' | 'keys') =>
      s[kind].active.find(i => i.name === 'rotated')
    expect(pick(after, 'certificates')).toEqual(pick(before, 'certificates'))
    expect(pick(after, 'secrets')).toEqual(pick(before, 'secrets'))
    expect(pick(after, 'keys')).toEqual(pick(before, 'keys'))
    expect((await secrets.getSecret('rotated')).value).toBe(secretBefore.value)
    const versions = []
    for await (const v of certificates.listPropertiesOfCertificateVersions('rotated'))
      versions.push(v.version)
    expect(versions).toHaveLength(2)
    expect((await certificates.getCertificatePolicy('rotated')).subject).toBe('CN=rotated')
    // (The SDK's updateCertificatePolicy drops the response body, so read the policy back.)
    await certificates.updateCertificatePolicy('rotated', { issuerName: 'Self', subject: 'CN=renamed' })
    const policy = await certificates.getCertificatePolicy('rotated')
    expect(policy.subject).toBe('CN=renamed')
    expect(policy.validityInMonths).toBe(12)
  })

  it('recovers a deleted certificate with its key and secret', async () => {
    vault.seedCertificate('recoverable')
    const { certificates, keys } = env.clients(vault)
    await (await certificates.beginDeleteCertificate('recoverable', POLL)).pollUntilDone()
    const listed = []
    for await (const d of certificates.listDeletedCertificates()) listed.push(d.name)
    expect(listed).toContain('recoverable')
    await (await certificates.beginRecoverDeletedCertificate('recoverable', POLL)).pollUntilDone()
    expect((await keys.getKey('recoverable')).properties.managed).toBe(true)
  })
})
