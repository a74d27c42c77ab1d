import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto'
import forge from 'node-forge'
import { WellKnownIssuer, type ImportCertificateOptions } from '@azure/keyvault-certificates'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'
import { issueSelfSigned } from '../../testbed/keyvault/x509.js'
import { rawRequest, startTestEnv, type TestEnv } from '../../testbed/keyvault/test-support.js'

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

const V = '?api-version=7.4'
const PEM = 'application/x-pem-file'
const PFX = 'application/x-pkcs12'

function selfSignedPem(
  cn: string,
  opts: { subject?: string; dnsNames?: string[]; validityMonths?: number } = {}
): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const der = issueSelfSigned(pem, {
    subject: opts.subject ?? `CN=${cn}`,
    dnsNames: opts.dnsNames,
    validityMonths: opts.validityMonths ?? 1,
    now: Date.now()
  })
  return pem + new X509Certificate(der).toString()
}

/** A PKCS#12 (base64) of a PEM's key and certificate, with a password. */
function pfxOf(pem: string, password: string): string {
  const key = forge.pki.privateKeyFromPem(pem)
  const cert = forge.pki.certificateFromPem(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----')))
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], password, { algorithm: '3des' })
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary').toString('base64')
}

/** The key and certificate bags of a base64 PKCS#12 without a password. */
function bagsOf(pfx: string): { keys: number; certs: number } {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(pfx)), false, '')
  const count = (type: string) => (p12.getBags({ bagType: type })[type] ?? []).length
  return {
    keys: count(forge.pki.oids.pkcs8ShroudedKeyBag) + count(forge.pki.oids.keyBag),
    certs: count(forge.pki.oids.certBag)
  }
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

  describe('import as the service does it', () => {
    const importRaw = (name: string, body: unknown) =>
      rawRequest(vault, env.caPem, 'POST', `/certificates/${name}/import${V}`, { token: env.token(), body })

    it('imports a PKCS#12 with a password; answers id, kid, sid, x5t, cer, attributes and the derived policy', async () => {
      const pem = selfSignedPem('import.example.com', {
        subject: 'C=US, ST=WA, L=Redmond, O=Contoso, CN=import.example.com',
        dnsNames: ['import.example.com', 'www.import.example.com'],
        validityMonths: 297
      })
      const { certificates, secrets } = env.clients(vault)
      const cert = await certificates.importCertificate(
        'imported-pwd',
        Buffer.from(pfxOf(pem, 'secret-pw'), 'base64'),
        { password: 'secret-pw' }
      )
      expect(cert.policy).toMatchObject({
        issuerName: 'Unknown',
        subject: 'CN=import.example.com, O=Contoso, L=Redmond, S=WA, C=US',
        subjectAlternativeNames: { dnsNames: ['import.example.com', 'www.import.example.com'] },
        enhancedKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        validityInMonths: 297,
        contentType: PFX,
        exportable: true,
        keyType: 'RSA',
        keySize: 2048,
        reuseKey: false,
        lifetimeActions: [{ action: 'EmailContacts', lifetimePercentage: 80 }]
      })
      expect((await certificates.getCertificatePolicy('imported-pwd')).issuerName).toBe('Unknown')
      // The secret is Key Vault's own PKCS#12, without a password.
      expect(bagsOf((await secrets.getSecret('imported-pwd')).value!)).toEqual({ keys: 1, certs: 1 })

      const res = await importRaw('imported-raw', { value: pfxOf(pem, 'x'), pwd: 'x' })
      expect(res.status).toBe(200)
      const version = res.body.id.split('/').at(-1)
      expect(Object.keys(res.body)).toEqual([
        'id',
        'kid',
        'sid',
        'x5t',
        'cer',
        'attributes',
        'tags',
        'policy'
      ])
      expect(res.body.kid).toBe(`${vault.localUrl}/keys/imported-raw/${version}`)
      expect(res.body.sid).toBe(`${vault.localUrl}/secrets/imported-raw/${version}`)
      expect(res.body.attributes).toMatchObject({ enabled: true, recoveryLevel: 'Recoverable+Purgeable' })
      expect(res.body.attributes.exp - res.body.attributes.nbf).toBeGreaterThan(24 * 365 * 86400)
      expect(res.body.policy).toMatchObject({
        id: `${vault.localUrl}/certificates/imported-raw/policy`,
        key_props: { exportable: true, kty: 'RSA', key_size: 2048, reuse_key: false },
        secret_props: { contentType: PFX },
        x509_props: { validity_months: 297 },
        lifetime_actions: [
          { trigger: { lifetime_percentage: 80 }, action: { action_type: 'EmailContacts' } }
        ],
        issuer: { name: 'Unknown' }
      })
    })

    it('imports PEM only under application/x-pem-file, as raw text or base64 of it', async () => {
      const pem = selfSignedPem('pem.example.com')
      const policy = { secret_props: { contentType: PEM } }
      const asText = await importRaw('pem-text', { value: pem, policy })
      expect(asText.status).toBe(200)
      expect(asText.body.policy.secret_props).toEqual({ contentType: PEM })
      const asBase64 = await importRaw('pem-base64', { value: Buffer.from(pem).toString('base64'), policy })
      expect(asBase64.status).toBe(200)
      expect(asBase64.body.x5t).toBe(asText.body.x5t)
      const { secrets, certificates } = env.clients(vault)
      const secret = await secrets.getSecret('pem-base64')
      expect(secret.properties.contentType).toBe(PEM)
      expect(createPrivateKey(secret.value!).asymmetricKeyType).toBe('rsa')
      expect((await certificates.getCertificate('pem-text')).policy?.contentType).toBe(PEM)
    })

    it.each([
      [
        'PEM content under a policy without contentType',
        () => ({
          value: selfSignedPem('p.example.com'),
          policy: {
            lifetime_actions: [
              { trigger: { days_before_expiry: 30 }, action: { action_type: 'EmailContacts' } }
            ]
          }
        }),
        'Property policy has invalid value\r\n'
      ],
      [
        'PEM content without a policy (read as PKCS#12)',
        () => ({ value: selfSignedPem('p.example.com') }),
        'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.'
      ],
      [
        'a damaged PKCS#12',
        () => ({ value: Buffer.from('not a pfx').toString('base64') }),
        'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.'
      ],
      [
        'a PKCS#12 with the wrong password',
        () => ({ value: pfxOf(selfSignedPem('p.example.com'), 'right'), pwd: 'wrong' }),
        'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.'
      ],
      [
        'something that is not PEM under application/x-pem-file',
        () => ({ value: 'not a certificate', policy: { secret_props: { contentType: PEM } } }),
        'The specified PEM X.509 certificate content can not be read. Please check if certificate is in valid PEM format. Accepted formats: PEM content or Base64 encoded PEM content.'
      ],
      [
        'a PEM without its private key',
        () => {
          const pem = selfSignedPem('p.example.com')
          return {
            value: pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----')),
            policy: { secret_props: { contentType: PEM } }
          }
        },
        'The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.'
      ]
    ])('refuses %s with 400 BadParameter', async (_case, body, message) => {
      const res = await importRaw('refused-import', body())
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: { code: 'BadParameter', message } })
    })
  })

  describe('non-exportable certificates and versions of different content types', () => {
    it('answers the secret of a non-exportable certificate with the certificate only (PEM and PKCS#12)', async () => {
      vault.seedCertificate('locked-pem', { exportable: false, contentType: PEM })
      vault.seedCertificate('locked-pfx', { exportable: false })
      const { certificates, secrets } = env.clients(vault)
      const pem = await secrets.getSecret('locked-pem')
      expect(pem.properties.contentType).toBe(PEM)
      expect(pem.properties.managed).toBe(true)
      expect(pem.value).toMatch(/^-----BEGIN CERTIFICATE-----\n/)
      expect(pem.value).not.toContain('PRIVATE KEY')
      const cert = await certificates.getCertificate('locked-pem')
      expect(new X509Certificate(pem.value!).fingerprint).toBe(
        new X509Certificate(Buffer.from(cert.cer!)).fingerprint
      )
      expect(cert.policy?.exportable).toBe(false)
      expect((await certificates.getCertificatePolicy('locked-pem')).exportable).toBe(false)
      const pfx = await secrets.getSecret('locked-pfx')
      expect(pfx.properties.contentType).toBe(PFX)
      expect(bagsOf(pfx.value!)).toEqual({ keys: 0, certs: 1 })
      // The key stays in the vault: a backup carries the certificate whole, the restored secret stays keyless.
      const blob = await certificates.backupCertificate('locked-pfx')
      await (await certificates.beginDeleteCertificate('locked-pfx', POLL)).pollUntilDone()
      await certificates.purgeDeletedCertificate('locked-pfx')
      env.clock.advance(1000)
      await certificates.restoreCertificateBackup(blob!)
      expect(bagsOf((await secrets.getSecret('locked-pfx')).value!)).toEqual({ keys: 0, certs: 1 })
    })

    it('imports a non-exportable certificate: its secret has no key', async () => {
      const pem = selfSignedPem('locked.example.com')
      const res = await rawRequest(vault, env.caPem, 'POST', `/certificates/locked-import/import${V}`, {
        token: env.token(),
        body: { value: pem, policy: { key_props: { exportable: false }, secret_props: { contentType: PEM } } }
      })
      expect(res.body.policy.key_props.exportable).toBe(false)
      const secret = await env.clients(vault).secrets.getSecret('locked-import')
      expect(secret.value).not.toContain('PRIVATE KEY')
    })

    it("keeps each version's content type; the policy carries the current one", async () => {
      vault.seedCertificate('mixed', { contentTypes: [PFX, PEM] })
      const { certificates, secrets } = env.clients(vault)
      const versions = []
      for await (const p of secrets.listPropertiesOfSecretVersions('mixed'))
        versions.push({ version: p.version!, contentType: p.contentType })
      expect(versions.map(v => v.contentType).sort()).toEqual([PEM, PFX])
      const old = versions.find(v => v.contentType === PFX)!
      const oldSecret = await secrets.getSecret('mixed', { version: old.version })
      expect(oldSecret.properties.contentType).toBe(PFX)
      expect(bagsOf(oldSecret.value!)).toEqual({ keys: 1, certs: 1 })
      const current = await secrets.getSecret('mixed')
      expect(current.properties.contentType).toBe(PEM)
      expect(current.value).toContain('PRIVATE KEY')
      expect((await certificates.getCertificate('mixed')).policy?.contentType).toBe(PEM)
      expect((await certificates.getCertificatePolicy('mixed')).contentType).toBe(PEM)
      expect((await certificates.getCertificateVersion('mixed', old.version)).properties.version).toBe(
        old.version
      )
    })

    it('answers a create with 202, the recorded status_details and a location naming the request', async () => {
      const res = await rawRequest(vault, env.caPem, 'POST', `/certificates/pending-one/create${V}`, {
        token: env.token(),
        body: {
          policy: {
            issuer: { name: 'Self' },
            x509_props: { subject: 'CN=pending' },
            secret_props: { contentType: PEM }
          }
        }
      })
      expect(res.status).toBe(202)
      expect(res.body.status).toBe('inProgress')
      expect(res.body.status_details).toBe(
        'Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.'
      )
      expect(res.headers['retry-after']).toBe('10')
      expect(res.headers.location).toBe(
        `${vault.localUrl}/certificates/pending-one/pending?api-version=7.4&request_id=${res.body.request_id}`
      )
    })
  })
})
