/**
 * The environment in which the Azure CLI (`az`) reaches the test bed: through its proxy, trusting
 * its CA (Python's requests reads REQUESTS_CA_BUNDLE), with a configuration folder of its own and
 * no telemetry. Used by the tests that take `az` as a second client and by the bench's `az` loop.
 */
import type { Testbed } from './index.js'

export function azEnvironment(testbed: Pick<Testbed, 'env'>, configDir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: '0',
    AZURE_CORE_ONLY_SHOW_ERRORS: '1',
    REQUESTS_CA_BUNDLE: testbed.env.REQUESTS_CA_BUNDLE,
    HTTPS_PROXY: testbed.env.HTTPS_PROXY,
    NO_PROXY: testbed.env.NO_PROXY
  }
}

/**
 * `az login` as the test bed's first app (a service principal in the default tenant), with the
 * credential arguments (`-p <secret>` or `--federated-token <jwt>`) and any other flags.
 */
export function azLoginArgs(testbed: Pick<Testbed, 'layout'>, ...rest: string[]): string[] {
  const app = testbed.layout.apps[0]
  return ['login', '--service-principal', '-u', app.clientId, '--tenant', testbed.layout.tenantId, ...rest]
}
