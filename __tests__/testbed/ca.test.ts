/**
 * The test bed's CA on a fresh machine: jest starts two test files at once, each starting a test bed,
 * and each must end up trusting the one CA that signed its own server certificate. Before the CA was
 * created atomically, the second writer replaced the first one's CA, and a whole test file failed TLS.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import forge from 'node-forge'

const CA_MODULE = resolve('testbed/ca.ts')

/** Starts a process that creates TLS material in `dir` and prints its server certificate chain. */
function issueInChild(dir: string): Promise<{ caPath: string; cert: string }> {
  const script = `const { createTlsMaterial } = await import(${JSON.stringify(CA_MODULE)});
const { caPath, cert } = createTlsMaterial(${JSON.stringify(dir)});
process.stdout.write(JSON.stringify({ caPath, cert }))`
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '' }
    })
    let out = ''
    let err = ''
    child.stdout.on('data', chunk => (out += chunk))
    child.stderr.on('data', chunk => (err += chunk))
    child.on('close', code => (code === 0 ? done(JSON.parse(out)) : fail(new Error(`exit ${code}: ${err}`))))
  })
}

describe("the test bed's CA", () => {
  let dir: string
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kvb-ca-'))))
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('is one CA when several test beds start at once on a fresh machine, and signs each server certificate', async () => {
    const issued = await Promise.all(Array.from({ length: 4 }, () => issueInChild(dir)))
    const ca = forge.pki.certificateFromPem(readFileSync(join(dir, 'ca.pem'), 'utf8'))
    for (const { caPath, cert } of issued) {
      expect(caPath).toBe(join(dir, 'ca.pem'))
      expect(ca.verify(forge.pki.certificateFromPem(cert))).toBe(true)
    }
    expect(readdirSync(dir).sort()).toEqual(['ca-bundle.pem', 'ca.pem'])
  }, 60_000)

  it('is kept across restarts, so a NODE_EXTRA_CA_CERTS path stays valid', async () => {
    const first = await issueInChild(dir)
    const caPem = readFileSync(first.caPath, 'utf8')
    const second = await issueInChild(dir)
    expect(readFileSync(second.caPath, 'utf8')).toBe(caPem)
    expect(forge.pki.certificateFromPem(caPem).verify(forge.pki.certificateFromPem(second.cert))).toBe(true)
  }, 60_000)
})
