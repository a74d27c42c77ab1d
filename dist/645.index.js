export const id = 645;
export const ids = [645];
export const modules = {

/***/ 23645:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  run: () => (/* binding */ run)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 11 modules
var core = __webpack_require__(91659);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: ./node_modules/@azure/identity/dist/esm/index.js + 165 modules
var esm = __webpack_require__(73016);
;// CONCATENATED MODULE: ./src/adapters/auth.ts


/** The GitHub runner: OIDC tokens from `@actions/core` (which masks them), masking through `::add-mask::`. */
const runnerEnvironment = {
    getIDToken: audience => core/* getIDToken */.V9(audience),
    setSecret: secret => core/* setSecret */.Pq(secret),
    env: process.env
};
/** Reads a JWT's payload without verifying it: only to tell the user which claims Entra saw. */
function decodeJwtClaims(jwt) {
    try {
        const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
        return { iss: claims.iss, sub: claims.sub, aud: claims.aud, iat: claims.iat, exp: claims.exp };
    }
    catch {
        return {};
    }
}
/**
 * Until when a GitHub assertion may be presented again: a minute before its `exp`, or a quarter of
 * its lifetime for a short one; never again when it says no `exp`.
 */
function assertionReuseUntil(claims) {
    const exp = Number(claims.exp) * 1000;
    if (!Number.isFinite(exp) || exp <= 0)
        return 0;
    const iat = Number(claims.iat) * 1000;
    const lifetime = Number.isFinite(iat) && iat > 0 && iat < exp ? exp - iat : 4 * 60_000;
    return exp - Math.min(60_000, lifetime / 4);
}
/**
 * Signs in as `identity`. With OIDC one GitHub assertion serves the Entra token requests while it is
 * far from its expiry, then a fresh one is fetched (so a long run never presents an expired one);
 * access tokens are kept until near their expiry and shared by every client (see `sharedTokens`).
 * Every token is masked before anything else can print it.
 */
function signIn(identity, runner, clock) {
    let lastClaims;
    const authorityHost = identity.cloud.authorityHost;
    let inner;
    switch (identity.method) {
        case 'oidc': {
            if (!runner.env.ACTIONS_ID_TOKEN_REQUEST_URL || !runner.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
                throw new Error("auth 'oidc' needs a GitHub OIDC token, but this job may not request one: add " +
                    "'permissions: id-token: write' to the job (or the workflow). Otherwise use auth 'azure-cli' or 'managed-identity'.");
            }
            // One GitHub assertion serves every Entra token request while it is far from its expiry (MSAL
            // asks twice per request, and the vault and Resource Manager each need a token); after that, or
            // after a refused request, the next request fetches a fresh one. Never one near or past its exp.
            let assertion;
            const getAssertion = () => {
                if (assertion && clock.now() < assertion.reuseUntil)
                    return assertion.token;
                const fetched = { token: runner.getIDToken(identity.audience), reuseUntil: Infinity };
                assertion = fetched;
                // core.getIDToken masks the token itself.
                fetched.token = fetched.token.then(token => {
                    const claims = decodeJwtClaims(token);
                    lastClaims = claims;
                    fetched.reuseUntil = assertionReuseUntil(claims);
                    return token;
                }, (error) => {
                    if (assertion === fetched)
                        assertion = undefined;
                    throw error;
                });
                return fetched.token;
            };
            const msal = new esm/* ClientAssertionCredential */.XI(identity.tenantId ?? '', identity.clientId ?? '', getAssertion, {
                authorityHost
            });
            inner = {
                getToken: async (scopes, options) => {
                    try {
                        return await msal.getToken(scopes, options);
                    }
                    catch (error) {
                        assertion = undefined;
                        throw error;
                    }
                }
            };
            break;
        }
        case 'azure-cli':
            inner = new esm/* AzureCliCredential */.nG(identity.tenantId ? { tenantId: identity.tenantId } : {});
            break;
        case 'managed-identity':
            inner = identity.clientId
                ? new esm/* ManagedIdentityCredential */.NC({ clientId: identity.clientId })
                : new esm/* ManagedIdentityCredential */.NC();
            break;
        case 'default':
            inner = new esm/* DefaultAzureCredential */.gv({
                authorityHost,
                ...(identity.tenantId && { tenantId: identity.tenantId }),
                ...(identity.clientId && { managedIdentityClientId: identity.clientId })
            });
            break;
    }
    return { credential: sharedTokens(inner, runner.setSecret, clock), claims: () => lastClaims };
}
/** Refresh this long before expiry, or at a quarter of a short token's lifetime. */
const REFRESH_MARGIN_MS = 120_000;
/**
 * One access token per scope and tenant, shared by every caller: concurrent requests wait for one
 * sign-in, and the token is reused until it comes near its expiry. Each new token is masked once.
 */
function sharedTokens(inner, setSecret, clock) {
    const tokens = new Map();
    const pending = new Map();
    return {
        async getToken(scopes, options) {
            // A claims challenge (continuous access evaluation) asks for a new token: never serve the old one.
            if (options?.claims)
                return fetch(undefined);
            const key = `${[scopes].flat().join(' ')}|${options?.tenantId ?? ''}`;
            const cached = tokens.get(key);
            if (cached && clock.now() < cached.refreshAt)
                return cached.token;
            let flight = pending.get(key);
            if (!flight) {
                flight = fetch(key).finally(() => pending.delete(key));
                pending.set(key, flight);
            }
            return flight;
            async function fetch(cacheKey) {
                const obtainedAt = clock.now();
                const token = await inner.getToken(scopes, options);
                if (!token)
                    return token;
                setSecret(token.token);
                if (cacheKey) {
                    const lifetime = token.expiresOnTimestamp - obtainedAt;
                    const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 4);
                    const refreshAt = Math.min(token.expiresOnTimestamp - margin, token.refreshAfterTimestamp ?? Infinity);
                    tokens.set(cacheKey, { token, refreshAt });
                }
                return token;
            }
        }
    };
}

// EXTERNAL MODULE: ./node_modules/@azure/logger/dist/esm/index.js + 1 modules
var dist_esm = __webpack_require__(7567);
// EXTERNAL MODULE: ./node_modules/@typespec/ts-http-runtime/dist/esm/index.js + 20 modules
var ts_http_runtime_dist_esm = __webpack_require__(55752);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(57975);
;// CONCATENATED MODULE: ./src/adapters/sdk-log.ts



const BEARER = /\b(Bearer|PoP|Basic)\s+[^\s"',;]+/gi;
// A user and password in a URL (a proxy's, most often): http://user:pass@host.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:"']+:[^\s/@"']+@/gi;
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
// A credential in a form or JSON: a quoted value is redacted whole (it may hold spaces).
const QUOTED_SECRET = /\b(client_assertion|client_secret|access_token|refresh_token|id_token|password|pwd|value)("?\s*:\s*")(?:[^"\\]|\\.)*"/gi;
const FORM_SECRET = /\b(client_assertion|client_secret|access_token|refresh_token|id_token|password|pwd|value)(["']?\s*[:=]\s*["']?)[^\s"'&,}]+/gi;
// A SAS signature (and any `sig`/`signature` parameter) in a URL.
const SIGNATURE = /\b(sig|signature)=[^\s&"']+/gi;
// Backup blobs are long base64url runs; nothing else the SDK logs looks like that.
const LONG_BASE64 = /[A-Za-z0-9_-]{200,}={0,2}/g;
// A key or secret in hex: 32 hex digits (128 bits) or more.
const HEX = /\b[0-9a-fA-F]{32,}\b/g;
// A key or secret in base64 (standard or url-safe): a run of 24 or more with upper case, lower case and digits.
const BASE64 = /(?<![\w+/-])(?=[\w+/-]*[A-Z])(?=[\w+/-]*[a-z])(?=[\w+/-]*\d)[A-Za-z0-9+/_-]{24,}={0,2}/g;
/** Replaces tokens, credentials, signatures and secret-like runs in a log line. */
function redactCredentials(text) {
    return text
        .replace(BEARER, '$1 [redacted]')
        .replace(URL_CREDENTIALS, '$1[redacted]@')
        .replace(JWT, '[redacted JWT]')
        .replace(QUOTED_SECRET, '$1$2[redacted]"')
        .replace(FORM_SECRET, '$1$2[redacted]')
        .replace(SIGNATURE, '$1=[redacted]')
        .replace(LONG_BASE64, '[redacted]')
        .replace(HEX, '[redacted hex]')
        .replace(BASE64, '[redacted]');
}
/**
 * Users turn on AZURE_LOG_LEVEL (or TYPESPEC_RUNTIME_LOG_LEVEL) to debug sign-in or network
 * trouble. The SDK then prints raw objects to stderr, sockets with their `authorization: Bearer ...`
 * headers among them. Route both loggers through `write` (core.debug in the action) with
 * credentials redacted, so no level of SDK logging can print a token, a secret or a blob.
 */
function routeSdkLog(write) {
    const log = (...args) => write(redactCredentials((0,external_node_util_.format)(...args)));
    dist_esm/* AzureLogger */.i2.log = log;
    ts_http_runtime_dist_esm/* TypeSpecRuntimeLogger */.ou.log = log;
}

;// CONCATENATED MODULE: ./src/core/errors.ts
/** The message of anything thrown, including non-Error values. */
function errorMessage(error) {
    if (error instanceof Error)
        return error.message || error.name;
    if (typeof error === 'string')
        return error;
    try {
        return JSON.stringify(error) ?? String(error);
    }
    catch {
        return String(error);
    }
}

;// CONCATENATED MODULE: ./src/adapters/summary.ts


/**
 * Writes the job summary, replacing what this step wrote before (a restore writes its plan before
 * any write, then the outcomes at the end). Never throws: the summary must not mask the real error.
 */
async function writeJobSummary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY)
        return;
    try {
        await core/* summary */.z.emptyBuffer().addRaw(markdown, true).write({ overwrite: true });
    }
    catch (error) {
        core/* warning */.$e(`Could not write the job summary: ${errorMessage(error)}`);
    }
}

;// CONCATENATED MODULE: ./src/core/types.ts
/** Every item type, in the order backup and reports use. */
const ITEM_TYPES = ['secrets', 'keys', 'certificates'];
/** The real clock and sleep, for production wiring. */
const systemClock = { now: () => Date.now() };
/** A real `setTimeout` sleep. */
const realSleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
;// CONCATENATED MODULE: ./src/core/cloud.ts
const CLOUDS = {
    AzureCloud: {
        name: 'AzureCloud',
        authorityHost: 'https://login.microsoftonline.com',
        vaultSuffix: 'vault.azure.net',
        defaultAudience: 'api://AzureADTokenExchange',
        managementEndpoint: 'https://management.azure.com'
    },
    AzureUSGovernment: {
        name: 'AzureUSGovernment',
        authorityHost: 'https://login.microsoftonline.us',
        vaultSuffix: 'vault.usgovcloudapi.net',
        defaultAudience: 'api://AzureADTokenExchangeUSGov',
        managementEndpoint: 'https://management.usgovcloudapi.net'
    },
    AzureChinaCloud: {
        name: 'AzureChinaCloud',
        authorityHost: 'https://login.chinacloudapi.cn',
        vaultSuffix: 'vault.azure.cn',
        defaultAudience: 'api://AzureADTokenExchangeChina',
        managementEndpoint: 'https://management.chinacloudapi.cn'
    }
};
const KNOWN_VAULT_SUFFIXES = Object.values(CLOUDS).map(cloud => cloud.vaultSuffix);
const VAULT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
/**
 * Turns the `vault` input (a vault name or an `https://` URL) into a target. Throws a message that
 * says what was wrong; the caller prefixes the input name.
 */
function resolveVault(vault, cloud) {
    const value = vault.trim();
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
        return resolveVaultUrl(value);
    if (!VAULT_NAME.test(value) || value.includes('--')) {
        throw new Error(`'${shownValue(value)}' is neither a vault name (3-24 letters, digits and single hyphens, starting with a letter) nor an https:// URL`);
    }
    const name = value.toLowerCase();
    return { url: `https://${name}.${cloud.vaultSuffix}`, name, knownHost: true };
}
/** A value for an error message, without what might be a credential: a user part, a query, a fragment. */
function shownValue(value) {
    return value
        .replace(/^[^@/]*@/, '')
        .replace(/[?#].*$/s, '')
        .slice(0, 80);
}
function resolveVaultUrl(value) {
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new Error(`the value is not a valid URL (expected e.g. https://myvault.vault.azure.net)`);
    }
    // Errors name the URL without user, password, query or fragment: any of them may hold a secret.
    const shown = `'${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}'`;
    if (url.protocol !== 'https:')
        throw new Error(`${shown} must use https://`);
    if (url.username || url.password) {
        throw new Error(`${shown} must not carry a user name or password (the step signs in with 'auth')`);
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
        throw new Error(`${shown} must be a bare origin such as https://myvault.vault.azure.net (no path, query or fragment)`);
    }
    const host = url.hostname.toLowerCase();
    const knownHost = KNOWN_VAULT_SUFFIXES.some(suffix => host.endsWith(`.${suffix}`));
    return { url: url.origin, name: shortVaultName(host, url.port), knownHost };
}
function shortVaultName(host, port) {
    const isIp = /^[0-9.]+$/.test(host) || host.startsWith('[');
    const base = isIp ? host.replace(/[[\]:]/g, '-') : host.split('.')[0];
    return port ? `${base}-${port}` : base;
}

;// CONCATENATED MODULE: ./src/inputs.ts




/** Every input name of action.yml: a contract, so they live in one place. */
const Inputs = {
    Operation: 'operation',
    Vault: 'vault',
    Environment: 'environment',
    Auth: 'auth',
    ClientId: 'client-id',
    TenantId: 'tenant-id',
    Audience: 'audience',
    Types: 'types',
    Include: 'include',
    Exclude: 'exclude',
    Tags: 'tags',
    SkipDisabled: 'skip-disabled',
    ArtifactName: 'artifact-name',
    RetentionDays: 'retention-days',
    CompressionLevel: 'compression-level',
    Upload: 'upload',
    Path: 'path',
    Concurrency: 'concurrency',
    VaultConcurrency: 'vault-concurrency',
    FailOnError: 'fail-on-error',
    DryRun: 'dry-run',
    RunId: 'run-id',
    RunBranch: 'run-branch',
    Repository: 'repository',
    GithubToken: 'github-token',
    ManifestSha256: 'manifest-sha256',
    AllowPartial: 'allow-partial',
    IfExists: 'if-exists',
    IfDeleted: 'if-deleted',
    Verify: 'verify',
    TargetVault: 'target-vault',
    TargetEnvironment: 'target-environment',
    TargetAuth: 'target-auth',
    TargetTenantId: 'target-tenant-id',
    TargetClientId: 'target-client-id',
    TargetAudience: 'target-audience',
    Rename: 'rename',
    Versions: 'versions',
    Subscriptions: 'subscriptions',
    VaultInclude: 'vault-include',
    VaultExclude: 'vault-exclude',
    VaultTags: 'vault-tags',
    ResourceGroups: 'resource-groups',
    Locations: 'locations',
    MaxJobs: 'max-jobs'
};
/** Every output name of action.yml. */
const Outputs = {
    ArtifactId: 'artifact-id',
    ArtifactUrl: 'artifact-url',
    ArtifactDigest: 'artifact-digest',
    BackupPath: 'backup-path',
    ManifestSha256: 'manifest-sha256',
    Complete: 'complete',
    BackedUp: 'backed-up',
    Skipped: 'skipped',
    Failed: 'failed',
    Restored: 'restored',
    Recovered: 'recovered',
    Copied: 'copied',
    Unchanged: 'unchanged',
    PlanPath: 'plan-path',
    Vaults: 'vaults',
    Count: 'count',
    Matrix: 'matrix',
    Results: 'results'
};
const DEFAULT_CONCURRENCY = 32;
const MAX_CONCURRENCY = 64;
const CLOUD_NAMES = Object.keys(CLOUDS);
const ACTION_AUTH_METHODS = ['oidc', 'azure-cli', 'managed-identity'];
const PATTERN = /^[0-9a-zA-Z*?-]+$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tenant may also be named by one of its verified domains, e.g. contoso.onmicrosoft.com. */
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const ARTIFACT_FORBIDDEN = /[":<>|*?\r\n\\/]/;
/** Collects every problem so the user fixes them all in one go. */
class Problems {
    list = [];
    add(message) {
        this.list.push(message);
        return undefined;
    }
    throwIfAny() {
        if (this.list.length === 1)
            throw new Error(this.list[0]);
        if (this.list.length > 1)
            throw new Error(`Invalid inputs:\n- ${this.list.join('\n- ')}`);
    }
}
/** A value quoted for an error message. */
const quote = (value) => JSON.stringify(value);
function oneOf(p, name, raw, allowed, fallback) {
    if (raw === '')
        return fallback;
    const match = allowed.find(a => a.toLowerCase() === raw.toLowerCase());
    return (match ??
        (p.add(`Invalid value for '${name}': ${quote(raw)}. Valid options are: ${allowed.join(', ')}`) ||
            fallback));
}
function bool(p, name, raw, fallback) {
    if (raw === '')
        return fallback;
    if (['true', 'True', 'TRUE'].includes(raw))
        return true;
    if (['false', 'False', 'FALSE'].includes(raw))
        return false;
    p.add(`Invalid value for '${name}': ${quote(raw)}. Valid options are: true, false`);
    return fallback;
}
function integer(p, name, raw, min, max) {
    if (raw === '')
        return undefined;
    const value = Number(raw);
    if (/^\d+$/.test(raw) && value >= min && value <= max)
        return value;
    return p.add(`Invalid value for '${name}': ${quote(raw)}. Expected a whole number from ${min} to ${max}`);
}
/** Splits a list input on newlines and commas, dropping blanks and `#` comment lines. */
function splitList(raw) {
    return raw
        .split(/[\n,]/)
        .map(s => s.trim())
        .filter(s => s !== '' && !s.startsWith('#'));
}
/** Splits a multi-line input into its lines, dropping blanks and `#` comment lines. */
function splitLines(raw) {
    return raw
        .split('\n')
        .map(s => s.trim())
        .filter(s => s !== '' && !s.startsWith('#'));
}
function patterns(p, name, raw) {
    const list = splitList(raw);
    for (const pattern of list) {
        if (!PATTERN.test(pattern)) {
            p.add(`Invalid pattern in '${name}': ${quote(pattern)}. Names hold letters, digits and '-'; patterns may add '*' and '?'`);
        }
    }
    return list;
}
function tagFilters(p, raw) {
    return splitLines(raw).flatMap(line => {
        const eq = line.indexOf('=');
        if (eq <= 0)
            return p.add(`Invalid line in '${Inputs.Tags}': ${quote(line)}. Expected key=value`) ?? [];
        return [{ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() }];
    });
}
function itemTypes(p, raw, fallback) {
    const list = splitList(raw).map(t => t.toLowerCase());
    if (list.length === 0)
        return [...fallback];
    const bad = list.filter(t => !ITEM_TYPES.includes(t));
    if (bad.length > 0) {
        p.add(`Invalid value for '${Inputs.Types}': ${quote(bad.join(', '))}. Valid options are: ${ITEM_TYPES.join(', ')}`);
    }
    return ITEM_TYPES.filter(t => list.includes(t));
}
/**
 * The selection inputs: `types` (default `defaultTypes`), `include`, `exclude`, `tags`, and
 * `skip-disabled` where the operation takes it.
 */
function parseFilter(read, p, defaultTypes = ITEM_TYPES) {
    const include = patterns(p, Inputs.Include, read(Inputs.Include));
    const exclude = patterns(p, Inputs.Exclude, read(Inputs.Exclude));
    const both = include.filter(x => exclude.some(y => y.toLowerCase() === x.toLowerCase()));
    if (both.length > 0) {
        p.add(`Inputs '${Inputs.Include}' and '${Inputs.Exclude}' both list ${both.map(quote).join(', ')}; keep it in one`);
    }
    return {
        types: itemTypes(p, read(Inputs.Types), defaultTypes),
        include,
        exclude,
        tags: tagFilters(p, read(Inputs.Tags)),
        skipDisabled: bool(p, Inputs.SkipDisabled, read(Inputs.SkipDisabled), false)
    };
}
/** The cloud named by an `environment`-like input. */
function parseCloud(p, name, raw, fallback) {
    return CLOUDS[oneOf(p, name, raw, CLOUD_NAMES, fallback)];
}
/**
 * A vault input: a name (resolved in `cloud`) or an https:// URL. The error never repeats a URL's
 * credentials or query string.
 */
function parseVault(p, name, raw, cloud) {
    if (raw === '')
        return p.add(`Input '${name}' is required: a vault name (e.g. 'prod') or an https:// URL`);
    try {
        return resolveVault(raw, cloud);
    }
    catch (error) {
        return p.add(`Invalid value for '${name}': ${errorMessage(error)}`);
    }
}
const SOURCE_IDENTITY = {
    auth: Inputs.Auth,
    clientId: Inputs.ClientId,
    tenantId: Inputs.TenantId,
    audience: Inputs.Audience
};
/** A copy's target side: `target-*`, each defaulting to the source's. */
const TARGET_IDENTITY = {
    auth: Inputs.TargetAuth,
    clientId: Inputs.TargetClientId,
    tenantId: Inputs.TargetTenantId,
    audience: Inputs.TargetAudience
};
/**
 * Reads who signs in. `client-id` and `tenant-id` fall back to `fallback` (for the source side:
 * AZURE_CLIENT_ID and AZURE_TENANT_ID); the audience to the cloud's default for OIDC.
 */
function parseIdentity(source, p, names, cloud, fallback) {
    const read = source.read;
    const methods = source.cli ? ['default', ...ACTION_AUTH_METHODS] : ACTION_AUTH_METHODS;
    const method = oneOf(p, names.auth, read(names.auth), methods, fallback.method ?? (source.cli ? 'default' : 'oidc'));
    const clientId = read(names.clientId) || fallback.clientId || undefined;
    const tenantId = read(names.tenantId) || fallback.tenantId || undefined;
    if (clientId !== undefined && !GUID.test(clientId)) {
        p.add(`Invalid value for '${names.clientId}': ${quote(clientId)}. Expected the application (client) id, a GUID such as 00000000-0000-0000-0000-000000000000`);
    }
    if (tenantId !== undefined && !GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
        p.add(`Invalid value for '${names.tenantId}': ${quote(tenantId)}. Expected the directory (tenant) id, a GUID, or one of its domains such as contoso.onmicrosoft.com`);
    }
    if (method === 'oidc') {
        if (clientId === undefined)
            p.add(`Input '${names.clientId}' is required for auth 'oidc'${envHint(names)}`);
        if (tenantId === undefined)
            p.add(`Input '${names.tenantId}' is required for auth 'oidc'${envHint(names)}`);
    }
    const rawAudience = read(names.audience);
    if (rawAudience && method !== 'oidc') {
        p.add(`Inputs '${names.audience}' and '${names.auth}: ${method}' cannot be used together: the audience applies only to 'oidc'`);
    }
    const audience = rawAudience ||
        (fallback.audience && fallback.cloud?.name === cloud.name ? fallback.audience : cloud.defaultAudience);
    return {
        method,
        cloud,
        ...(clientId && { clientId }),
        ...(tenantId && { tenantId }),
        audience
    };
}
function envHint(names) {
    return names === SOURCE_IDENTITY ? ' (or set AZURE_CLIENT_ID and AZURE_TENANT_ID)' : '';
}
/** The selection's options on the command line (backup and copy), as `parseArgs` declares them. */
const SELECTION_CLI_OPTIONS = {
    types: { type: 'string' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
    'skip-disabled': { type: 'boolean' },
    concurrency: { type: 'string' }
};
/** Those options' values as the action's inputs: repeated options become lines. */
function selectionInputs(values) {
    return {
        [Inputs.Types]: values.types ?? '',
        [Inputs.Include]: (values.include ?? []).join('\n'),
        [Inputs.Exclude]: (values.exclude ?? []).join('\n'),
        [Inputs.Tags]: (values.tag ?? []).join('\n'),
        [Inputs.SkipDisabled]: values['skip-disabled'] ? 'true' : '',
        [Inputs.Concurrency]: values.concurrency ?? ''
    };
}
/** An absolute path for a path input (relative paths are taken from the working directory). */
function absolutePath(raw) {
    return (0,external_node_path_.isAbsolute)(raw) ? raw : (0,external_node_path_.resolve)(raw);
}
/** The starting parallelism (`concurrency`). */
function parseConcurrency(read, p) {
    return integer(p, Inputs.Concurrency, read(Inputs.Concurrency), 1, MAX_CONCURRENCY) ?? DEFAULT_CONCURRENCY;
}
/**
 * Refuses, rather than ignores, inputs the operation does not take: a value there is a mistake
 * (for example `upload: false` on a restore would do nothing). `github-token` is exempt: action.yml
 * gives it a default, so it always has a value.
 */
function refuseOtherInputs(read, p, operation, accepted) {
    for (const name of Object.values(Inputs)) {
        if (name === Inputs.GithubToken || name === Inputs.Operation || accepted.has(name))
            continue;
        if (read(name) !== '') {
            p.add(`Input '${name}' does not apply to operation '${operation}'; remove it from this step`);
        }
    }
}

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: ./node_modules/@azure/arm-keyvault/dist/esm/index.js + 43 modules
var arm_keyvault_dist_esm = __webpack_require__(66657);
// EXTERNAL MODULE: ./node_modules/@azure/arm-resources-subscriptions/dist/esm/index.js + 16 modules
var arm_resources_subscriptions_dist_esm = __webpack_require__(13570);
// EXTERNAL MODULE: external "node:async_hooks"
var external_node_async_hooks_ = __webpack_require__(16698);
;// CONCATENATED MODULE: ./src/adapters/paging.ts

const scope = new external_node_async_hooks_.AsyncLocalStorage();
/**
 * Records a listing page's `nextLink`. The Key Vault SDKs (secrets 4.12, keys and certificates
 * 4.10) map each page with `page.map(...)`, which drops the `continuationToken` the inner pager
 * sets, so a caller of `byPage()` cannot resume a listing after a failed page. The policy reads the
 * raw body of a successful GET made inside a `readPage` scope (AsyncLocalStorage keeps concurrent
 * listings apart); `byPage({ continuationToken: nextLink })` then resumes exactly there.
 */
const pageLinkPolicy = {
    name: 'keyvaultBackupPageLink',
    sendRequest: async (request, next) => {
        const response = await next(request);
        const capture = scope.getStore();
        if (capture && request.method === 'GET' && response.status === 200) {
            capture.seen = true;
            capture.nextLink = readNextLink(response.bodyAsText);
        }
        else if (capture && request.method === 'GET' && response.status >= 400) {
            capture.refused = { status: response.status, body: response.bodyAsText ?? undefined };
        }
        return response;
    }
};
function readNextLink(body) {
    if (!body)
        return undefined;
    try {
        const link = JSON.parse(body).nextLink;
        return typeof link === 'string' && link !== '' ? link : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * Fetches exactly one page of an SDK listing, starting at `continuationToken` (the first page when
 * undefined), and returns its items with the token of the next page (absent on the last page).
 * Throws rather than guess when neither the page nor the policy tells where the listing goes on:
 * treating an unknown as "last page" would silently drop items.
 */
async function readPage(byPage, continuationToken, maxPageSize = 25) {
    const capture = { seen: false };
    const iterator = byPage({ continuationToken, maxPageSize });
    try {
        const result = await scope
            .run(capture, () => iterator.next())
            .catch((error) => {
            throw serviceError(error, capture.refused);
        });
        const items = result.done ? [] : (result.value ?? []);
        const own = items;
        let next;
        if (typeof own.continuationToken === 'string')
            next = own.continuationToken || undefined;
        else if (capture.seen)
            next = capture.nextLink;
        else if (!result.done)
            throw new Error('cannot tell where the listing continues (the clients lack the page-link policy: build them with createVaultClients)');
        return { items, ...(next && { continuationToken: next }) };
    }
    finally {
        // One page per iterator: close it so the SDK's generator does not wait on a page never read.
        await iterator.return?.().catch(() => undefined);
    }
}
/**
 * The SDKs' pagers turn a refused page into "Pagination failed with unexpected statusCode 403",
 * dropping the service's answer: the refusal the policy saw takes its place, with the status, the
 * error code and the message (which names the missing data action, or the firewall's refusal).
 */
function serviceError(error, refused) {
    if (!refused || !/Pagination failed/i.test(String(error?.message)))
        return error;
    let body = {};
    try {
        body = JSON.parse(refused.body ?? '{}');
    }
    catch {
        // not JSON: keep the status
    }
    return Object.assign(new Error(body.error?.message ?? `the service answered ${refused.status}`), {
        name: 'RestError',
        statusCode: refused.status,
        ...(body.error?.code && { code: body.error.code }),
        ...(body.error?.innererror?.code && { innerCode: body.error.innererror.code }),
        ...(error.response !== undefined && {
            response: error.response
        })
    });
}

// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(44708);
;// CONCATENATED MODULE: ./src/adapters/proxy-agent.ts

/** Node's built-in proxy support (`proxyEnv`) arrived in 24.5. */
function hasBuiltInProxySupport(version = process.versions.node) {
    const [major, minor] = version.split('.').map(Number);
    return major > 24 || (major === 24 && minor >= 5);
}
/**
 * Behind an HTTPS proxy (self-hosted runners), the SDK's proxy policy gives its proxy agent no
 * keep-alive, so every Key Vault call opened a new CONNECT tunnel and TLS session: 2,051 tunnels for
 * 2,048 calls, a third of the run's time (docs/performance.md). This returns one keep-alive agent
 * that reads HTTPS_PROXY and NO_PROXY itself, for the clients' `agent` option (a request that
 * carries an agent skips the SDK's proxy policy). Undefined, leaving the SDK as it is, when no proxy
 * is set or Node is too old to proxy by itself.
 */
function keepAliveProxyAgent() {
    const env = process.env;
    if (!(env.HTTPS_PROXY || env.https_proxy) || !hasBuiltInProxySupport())
        return undefined;
    return new external_node_https_.Agent({ keepAlive: true, proxyEnv: env });
}

;// CONCATENATED MODULE: ./src/adapters/arm.ts




/**
 * The management plane of `cloud` through the official clients, signed in with `credential` (the
 * run's credential of the identity: it keeps one token per scope, shared with the data plane). The
 * endpoint and token scope are the cloud's for both clients: SubscriptionClient would otherwise ask
 * for a public-cloud token whatever its endpoint.
 */
function createManagementPlane(cloud, credential, settings) {
    const agent = keepAliveProxyAgent();
    const options = {
        endpoint: cloud.managementEndpoint,
        credentials: { scopes: [`${cloud.managementEndpoint}/.default`] },
        // Retries go through our RateController (ARM answers 429 with Retry-After): one retry layer.
        retryOptions: { maxRetries: 0 },
        userAgentOptions: { userAgentPrefix: settings.userAgent },
        ...(agent && { agent }),
        // Lets readPage tell the last page from one whose link the SDK did not hand back.
        additionalPolicies: [{ policy: pageLinkPolicy, position: 'perCall' }]
    };
    const subscriptionClient = new arm_resources_subscriptions_dist_esm/* SubscriptionClient */.DI(credential, options);
    const vaultClients = new Map();
    const vaultClient = (subscriptionId) => {
        let client = vaultClients.get(subscriptionId);
        if (!client) {
            client = new arm_keyvault_dist_esm/* KeyVaultManagementClient */.ch(credential, subscriptionId, options);
            vaultClients.set(subscriptionId, client);
        }
        return client;
    };
    return {
        async subscriptions(continuationToken) {
            const page = await readPage(s => subscriptionClient.subscriptions.list().byPage(s), continuationToken);
            return mapPage(page, toSubscription);
        },
        async vaults(subscriptionId, continuationToken) {
            const page = await readPage(s => vaultClient(subscriptionId).vaults.listBySubscription().byPage(s), continuationToken);
            return mapPage(page, vault => toFleetVault(vault, subscriptionId, cloud));
        }
    };
}
const mapPage = (page, map) => ({
    items: page.items.map(map),
    ...(page.continuationToken && { continuationToken: page.continuationToken })
});
function toSubscription(s) {
    return {
        subscriptionId: s.subscriptionId ?? '',
        displayName: s.displayName ?? '',
        ...(s.tenantId && { tenantId: s.tenantId }),
        ...(s.state && { state: s.state })
    };
}
/** `/subscriptions/{sub}/resourceGroups/{rg}/providers/...` -> `rg`. */
function resourceGroupOf(id) {
    return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}
/**
 * A listed vault as plain data. Resource Manager leaves `enablePurgeProtection` and
 * `enableRbacAuthorization` out unless they are true (recorded answers do), and soft delete is on
 * unless it says otherwise. The URL is the vault's origin, without the trailing `/` of `vaultUri`.
 */
function toFleetVault(vault, subscriptionId, cloud) {
    const p = vault.properties;
    const name = vault.name ?? '';
    let url = `https://${name.toLowerCase()}.${cloud.vaultSuffix}`;
    try {
        if (p?.vaultUri)
            url = new URL(p.vaultUri).origin;
    }
    catch {
        // A malformed vaultUri: the name in the cloud's suffix is the vault's address.
    }
    const id = vault.id ?? '';
    return {
        name,
        url,
        id,
        subscriptionId,
        resourceGroup: resourceGroupOf(id),
        location: vault.location ?? '',
        tenantId: p?.tenantId ?? '',
        tags: { ...(vault.tags ?? {}) },
        softDelete: p?.enableSoftDelete !== false,
        purgeProtection: p?.enablePurgeProtection === true,
        permissionModel: p?.enableRbacAuthorization === true ? 'rbac' : 'access-policy'
    };
}

;// CONCATENATED MODULE: ./src/core/paging.ts
/**
 * Walks a listing page by page. Each page is one call under the rate controller, so a 503 or a
 * reset retries that page alone, resuming from the last continuation token; a page that keeps
 * failing fails the listing after the controller's bounded retries. Empty pages that carry a token
 * are followed (the service answers so). `onPage` runs outside the controller's slot (it may wait
 * for room downstream) and may return false to stop before the next page. Resolves true when the listing ended.
 * A vault's listing feeds the work, so `ahead` lets its pages pass calls waiting for a slot.
 */
async function forEachPage(rate, read, onPage, options = {}) {
    let token;
    for (;;) {
        const current = token;
        const page = await rate.run(() => read(current), options);
        const more = await onPage(page.items);
        token = page.continuationToken || undefined;
        if (token === undefined)
            return true;
        if (more === false)
            return false;
        // A service (or proxy) that hands back the same link would otherwise loop for ever.
        if (token === current)
            throw new Error('the listing returned the same continuation link twice');
    }
}
/** Reads a whole (small) listing, page by page as `forEachPage` does: for an object's versions. */
async function readAllPages(rate, read) {
    const all = [];
    await forEachPage(rate, read, items => void all.push(...items));
    return all;
}
/** Names a caller wants, learnt while another listing runs: `add` them, then `finish`. */
class LearntNames {
    names = new Set();
    done = false;
    waiting = [];
    get size() {
        return this.names.size;
    }
    get final() {
        return this.done;
    }
    has(name) {
        return this.names.has(name);
    }
    changed() {
        return this.done ? Promise.resolve() : new Promise(resolve => this.waiting.push(resolve));
    }
    add(name) {
        this.names.add(name.toLowerCase());
        this.wake();
    }
    finish() {
        this.done = true;
        this.wake();
    }
    wake() {
        for (const resolve of this.waiting.splice(0))
            resolve();
    }
}
/**
 * The entries of a listing whose names (case-insensitive, as Key Vault's) are wanted, or undefined
 * when the listing runs past one page per wanted name (plus one: the service may open with an
 * empty page). Only wanted entries are kept, so memory follows the work, not the vault. With names
 * still being learnt, the search runs beside the listing that teaches them: it reads a page only
 * while it has read fewer pages than it knows names (plus one), and keeps every entry it read until
 * the names are final.
 */
async function findNames(rate, read, wanted) {
    const names = Array.isArray(wanted) ? fixedNames(wanted) : wanted;
    const found = new Map();
    let pages = 0;
    const complete = await forEachPage(rate, read, async (page) => {
        for (const entry of page) {
            const name = entry.name.toLowerCase();
            if (!names.final || names.has(name))
                found.set(name, entry);
        }
        pages++;
        while (!names.final && names.size < pages)
            await names.changed();
        return pages <= names.size;
    });
    if (!complete)
        return undefined;
    // The listing may end before the names do: a name learnt later may be one it read.
    while (!names.final)
        await names.changed();
    for (const name of found.keys())
        if (!names.has(name))
            found.delete(name);
    return found;
}
function fixedNames(list) {
    const names = new Set(list);
    return { size: list.length, has: name => names.has(name), final: true, changed: () => Promise.resolve() };
}

;// CONCATENATED MODULE: ./src/adapters/locator.ts

/**
 * Finds vaults' resources (subscription, resource group, location, tenant) through Resource
 * Manager: the subscriptions the identity can list are read one after another, each one's vaults
 * remembered, until the vault asked for turns up. Several vaults of a run share the reads, and
 * callers are served one at a time, so a subscription is never read twice.
 */
class VaultLocator {
    plane;
    rate;
    found = new Map();
    subscriptions;
    next = 0;
    queue = Promise.resolve();
    constructor(plane, rate) {
        this.plane = plane;
        this.rate = rate;
    }
    /** The vault's resource, or undefined when no listable subscription holds it. Throws Resource Manager's refusals. */
    locate(url) {
        const run = this.queue.then(() => this.search(new URL(url).host.toLowerCase()));
        this.queue = run.catch(() => undefined);
        return run;
    }
    async search(host) {
        this.subscriptions ??= (await readAllPages(this.rate, token => this.plane.subscriptions(token))).map(s => s.subscriptionId);
        while (!this.found.has(host) && this.next < this.subscriptions.length) {
            const subscriptionId = this.subscriptions[this.next++];
            try {
                await forEachPage(this.rate, token => this.plane.vaults(subscriptionId, token), page => {
                    for (const vault of page)
                        this.found.set(new URL(vault.url).host.toLowerCase(), vault);
                });
            }
            catch (error) {
                // A subscription listed through some role but whose vaults may not be read holds none we can find.
                if (error.statusCode !== 403)
                    throw error;
            }
        }
        return this.found.get(host);
    }
}

// EXTERNAL MODULE: ./node_modules/@azure/keyvault-certificates/dist/esm/index.js + 23 modules
var keyvault_certificates_dist_esm = __webpack_require__(84177);
// EXTERNAL MODULE: ./node_modules/@azure/keyvault-keys/dist/esm/index.js + 26 modules
var keyvault_keys_dist_esm = __webpack_require__(95732);
// EXTERNAL MODULE: ./node_modules/@azure/keyvault-secrets/dist/esm/index.js + 18 modules
var keyvault_secrets_dist_esm = __webpack_require__(16009);
;// CONCATENATED MODULE: ./src/adapters/policies.ts
const C = '(secrets|keys|certificates)';
const NAME = '[^/]+';
const ROUTES = [
    { capability: 'list', method: 'GET', path: new RegExp(`^/${C}/?$`) },
    { capability: 'list', method: 'GET', path: new RegExp(`^/${C}/${NAME}/versions/?$`) },
    { capability: 'list', method: 'GET', path: new RegExp(`^/deleted${C}/?$`) },
    { capability: 'backup', method: 'POST', path: new RegExp(`^/${C}/${NAME}/backup/?$`) },
    { capability: 'restore', method: 'POST', path: new RegExp(`^/${C}/restore/?$`) },
    { capability: 'delete', method: 'DELETE', path: new RegExp(`^/${C}/${NAME}/?$`) },
    { capability: 'purge', method: 'DELETE', path: new RegExp(`^/deleted${C}/${NAME}/?$`) },
    { capability: 'recover', method: 'POST', path: new RegExp(`^/deleted${C}/${NAME}/recover/?$`) },
    { capability: 'read-values', method: 'GET', path: new RegExp(`^/secrets/${NAME}(/[^/]*)?$`) },
    { capability: 'read-values', method: 'GET', path: new RegExp(`^/certificates/${NAME}(/[^/]*)?$`) },
    { capability: 'write', method: 'PUT', path: new RegExp(`^/secrets/${NAME}/?$`) },
    { capability: 'write', method: 'PATCH', path: new RegExp(`^/(secrets|certificates)/${NAME}(/[^/]*)?$`) },
    { capability: 'write', method: 'POST', path: new RegExp(`^/certificates/${NAME}/import/?$`) }
];
/** The capability a request needs, or undefined for a request no operation of ours sends. */
function capabilityOf(method, pathname) {
    const m = method.toUpperCase();
    return ROUTES.find(r => r.method === m && r.path.test(pathname))?.capability;
}
/**
 * A pipeline policy that refuses, before it is sent, any request outside `allowed`. Backup and
 * restore are built without `read-values`, so no code path of theirs can read a secret's value: not
 * the SDK's recover poller (which GETs the secret to see whether it is back, and takes our refusal,
 * shaped as a 404, for "not yet"), not a GET of a deleted secret (whose body carries the value).
 */
function requestGuard(allowed) {
    const allow = new Set(allowed);
    return {
        name: 'keyvaultBackupRequestGuard',
        sendRequest(request, next) {
            const path = new URL(request.url).pathname;
            const capability = capabilityOf(request.method, path);
            if (capability && allow.has(capability))
                return next(request);
            const error = new Error(`keyvault-backup refused to send ${request.method} ${path}: this operation never ${capability === 'read-values' ? 'reads a secret value' : 'sends that request'}`);
            return Promise.reject(Object.assign(error, { statusCode: 404, code: 'RequestRefusedByKeyvaultBackup' }));
        }
    };
}
/**
 * Paces every HTTP request of a vault's clients (placed per retry, after the SDK's challenge
 * policy, so the unauthenticated first request and its resend both count), and tells the pace
 * what each answer was.
 */
function pacePolicy(pace) {
    return {
        name: 'keyvaultBackupPace',
        async sendRequest(request, next) {
            await pace.start();
            const response = await next(request);
            pace.answered(response.status);
            return response;
        }
    };
}
/**
 * Notes the region the vault answers from (its `x-ms-keyvault-region` header), which places it in an
 * Azure geography without any management-plane permission.
 */
function regionPolicy(onRegion) {
    return {
        name: 'keyvaultBackupRegion',
        async sendRequest(request, next) {
            const response = await next(request);
            const region = response.headers.get('x-ms-keyvault-region');
            if (region)
                onRegion(region);
            return response;
        }
    };
}

;// CONCATENATED MODULE: ./src/adapters/keyvault.ts






/** Builds the three SDK clients for a vault, sharing one credential, one pace and one guard. */
function createVaultClients(vault, credential, settings) {
    const agent = keepAliveProxyAgent();
    const options = {
        // All retries go through our RateController: the SDK would throw a 429 without Retry-After at
        // once and retry 5xx on real timers, so two retry layers would multiply and be untestable.
        retryOptions: { maxRetries: 0 },
        // Kept for known Key Vault domains; relaxed only for private endpoints, custom domains and
        // loopback hosts, whose names cannot end with the challenge's resource host.
        disableChallengeResourceVerification: !vault.knownHost,
        userAgentOptions: { userAgentPrefix: settings.userAgent },
        ...(agent && { agent }),
        additionalPolicies: [
            // Lets a failed listing page be retried alone: see pageLinkPolicy.
            { policy: pageLinkPolicy, position: 'perCall' },
            { policy: requestGuard(settings.allow), position: 'perCall' },
            { policy: regionPolicy(settings.onRegion), position: 'perCall' },
            { policy: pacePolicy(settings.pace), position: 'perRetry' }
        ]
    };
    return {
        secrets: new keyvault_secrets_dist_esm/* SecretClient */._V(vault.url, credential, options),
        keys: new keyvault_keys_dist_esm/* KeyClient */.xp(vault.url, credential, options),
        certificates: new keyvault_certificates_dist_esm/* CertificateClient */.d3(vault.url, credential, options)
    };
}
/**
 * The first call of a run to a vault: one page of one item of a type's listing. It signs in (the
 * challenge names the vault's tenant), reaches the vault, and needs the list permission, so every
 * set-up mistake shows here, once, before any other call.
 */
async function checkAccess(clients, type) {
    await activePage(clients, type, undefined, 1);
}
function toItem(type, p) {
    return {
        type,
        name: p.name ?? '',
        enabled: p.enabled !== false,
        managed: p.managed === true,
        ...(p.contentType !== undefined && { contentType: p.contentType }),
        tags: { ...(p.tags ?? {}) },
        ...(p.updatedOn && { updatedOn: p.updatedOn.toISOString() }),
        ...(p.recoveryLevel && { recoveryLevel: p.recoveryLevel })
    };
}
/** A soft-deleted object's name, recovery level and purge date, wherever the SDK of its type puts them. */
function toDeleted(d) {
    const recoveryLevel = d.properties?.recoveryLevel ?? d.recoveryLevel;
    const date = d.scheduledPurgeDate ?? d.properties?.scheduledPurgeDate;
    return {
        name: d.name ?? d.properties?.name ?? '',
        ...(recoveryLevel && { recoveryLevel }),
        ...(date && { scheduledPurgeDate: date.toISOString() })
    };
}
const keyvault_mapPage = (page, map) => ({
    items: page.items.map(map),
    ...(page.continuationToken && { continuationToken: page.continuationToken })
});
// Every listing goes through `readPage`: one page per call, so the caller retries a failed page
// alone and resumes from the last continuation token.
function activePage(clients, type, token, pageSize) {
    switch (type) {
        case 'secrets':
            return readPage(s => clients.secrets.listPropertiesOfSecrets().byPage(s), token, pageSize);
        case 'keys':
            return readPage(s => clients.keys.listPropertiesOfKeys().byPage(s), token, pageSize);
        case 'certificates':
            return readPage(s => clients.certificates.listPropertiesOfCertificates({ includePending: true }).byPage(s), token, pageSize);
    }
}
function deletedPage(clients, type, token) {
    switch (type) {
        case 'secrets':
            return readPage(s => clients.secrets.listDeletedSecrets().byPage(s), token);
        case 'keys':
            return readPage(s => clients.keys.listDeletedKeys().byPage(s), token);
        case 'certificates':
            return readPage(s => clients.certificates.listDeletedCertificates({ includePending: true }).byPage(s), token);
    }
}
function versionPage(clients, type, name, token) {
    switch (type) {
        case 'secrets':
            return readPage(s => clients.secrets.listPropertiesOfSecretVersions(name).byPage(s), token);
        case 'keys':
            return readPage(s => clients.keys.listPropertiesOfKeyVersions(name).byPage(s), token);
        case 'certificates':
            return readPage(s => clients.certificates.listPropertiesOfCertificateVersions(name).byPage(s), token);
    }
}
/** The `VaultReader` over real SDK clients (or any object with the same narrow shape). */
class KeyVaultReader {
    clients;
    constructor(clients) {
        this.clients = clients;
    }
    /** One page of the latest-version properties of every object of a type. */
    async listItems(type, continuationToken) {
        return keyvault_mapPage(await activePage(this.clients, type, continuationToken), p => toItem(type, p));
    }
    /** One page of an object's version ids (properties only). */
    async listVersionIds(type, name, continuationToken) {
        return keyvault_mapPage(await versionPage(this.clients, type, name, continuationToken), p => p.version ?? '');
    }
    /** Fetches the object's backup blob (all versions, encrypted by the service). */
    async backup(type, name) {
        const blob = type === 'secrets'
            ? await this.clients.secrets.backupSecret(name)
            : type === 'keys'
                ? await this.clients.keys.backupKey(name)
                : await this.clients.certificates.backupCertificate(name);
        if (!blob || blob.length === 0)
            throw new Error(`the vault returned an empty backup for ${type} '${name}'`);
        return blob;
    }
}
const isNotFound = (error) => error?.statusCode === 404;
/**
 * The `VaultWriter` over real SDK clients. Long-running operations are only started here (the SDK
 * pollers wait on real 2 s timers); the core polls with its injected clock instead.
 */
class KeyVaultWriter {
    clients;
    constructor(clients) {
        this.clients = clients;
    }
    /** One page of the active object's version ids; a name with no active object lists no versions. */
    async listVersions(type, name, continuationToken) {
        let page;
        try {
            page = await versionPage(this.clients, type, name, continuationToken);
        }
        catch (error) {
            if (isNotFound(error))
                return { versionIds: [] };
            throw error;
        }
        const recoveryLevel = page.items.find(p => p.recoveryLevel)?.recoveryLevel;
        return {
            versionIds: page.items.map(p => p.version ?? ''),
            ...(recoveryLevel && { recoveryLevel }),
            ...(page.continuationToken && { continuationToken: page.continuationToken })
        };
    }
    /** One page of the type's active objects (pending certificates included): names, recovery levels, owners. */
    async listActive(type, continuationToken) {
        return keyvault_mapPage(await activePage(this.clients, type, continuationToken), p => ({
            name: p.name ?? '',
            ...(p.recoveryLevel && { recoveryLevel: p.recoveryLevel }),
            ...(p.managed && { managed: true })
        }));
    }
    /** One page of the type's soft-deleted objects with their recovery levels and purge dates. */
    async listDeleted(type, continuationToken) {
        return keyvault_mapPage(await deletedPage(this.clients, type, continuationToken), toDeleted);
    }
    /** Restores one blob (all versions, under the blob's own name). */
    async restore(type, blob) {
        if (type === 'secrets')
            await this.clients.secrets.restoreSecretBackup(blob);
        else if (type === 'keys')
            await this.clients.keys.restoreKeyBackup(blob);
        else
            await this.clients.certificates.restoreCertificateBackup(blob);
    }
    /** Sends the DELETE; the returned poller is dropped (we poll the deleted view ourselves). */
    async startDelete(type, name) {
        if (type === 'secrets')
            await this.clients.secrets.beginDeleteSecret(name);
        else if (type === 'keys')
            await this.clients.keys.beginDeleteKey(name);
        else
            await this.clients.certificates.beginDeleteCertificate(name);
    }
    /** Purges a soft-deleted object; the name stays taken for a few seconds afterwards. */
    async purge(type, name) {
        if (type === 'secrets')
            await this.clients.secrets.purgeDeletedSecret(name);
        else if (type === 'keys')
            await this.clients.keys.purgeDeletedKey(name);
        else
            await this.clients.certificates.purgeDeletedCertificate(name);
    }
    /** Sends the recover request; the returned poller is dropped. */
    async startRecover(type, name) {
        if (type === 'secrets')
            await this.clients.secrets.beginRecoverDeletedSecret(name);
        else if (type === 'keys')
            await this.clients.keys.beginRecoverDeletedKey(name);
        else
            await this.clients.certificates.beginRecoverDeletedCertificate(name);
    }
}

;// CONCATENATED MODULE: ./src/core/text.ts
/**
 * Makes free text (tag values, content types, service messages) safe for one log line: control
 * characters become visible escapes, so a newline cannot start a `::workflow-command::` line, and
 * `::` is broken up in case a runner ever parses mid-line.
 */
function escapeLog(text) {
    return text
        .replace(CONTROL, ch => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .replace(/::/g, ':\u200b:');
}
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
/**
 * Makes free text safe inside a Markdown table cell of the job summary: HTML is escaped, Markdown
 * punctuation is backslash-escaped and line breaks are flattened, so text renders as text.
 */
function escapeMarkdown(text) {
    return escapeLog(text)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/[\\`*_{}[\]()#+!|~]/g, ch => `\\${ch}`);
}

;// CONCATENATED MODULE: ./src/core/explain.ts


const DEFAULT_INPUTS = {
    clientId: 'client-id',
    tenantId: 'tenant-id',
    environment: 'environment',
    audience: 'audience'
};
const shape = (error) => (typeof error === 'object' && error !== null ? error : {});
/** The first line of an error's message, safe for a log line. */
const firstLine = (error) => escapeLog(errorMessage(error).split(/\r?\n/)[0]);
/** Explains any failure; falls back to the service's message with its status. */
function explain(error, scene = {}) {
    return (explainSignIn(error, scene) ??
        explainNetwork(error, scene) ??
        explainVaultRefusal(error, scene) ??
        describeVaultError(error, scene.type, scene.operation ?? 'list'));
}
/** Sign-in failures (AADSTS codes, credentials that cannot sign in), or undefined. */
function explainSignIn(error, scene) {
    const message = errorMessage(error);
    const { identity, claims } = scene;
    const names = scene.inputs ?? DEFAULT_INPUTS;
    const clientId = escapeLog(identity?.clientId ?? '(none)');
    const tenantId = escapeLog(identity?.tenantId ?? '(none)');
    const cloud = identity?.cloud.name ?? 'AzureCloud';
    const presented = claims
        ? `The GitHub token presented issuer '${escapeLog(String(claims.iss))}', subject '${escapeLog(String(claims.sub))}' ` +
            `and audience '${escapeLog(String(claims.aud))}'. `
        : '';
    if (message.includes('AADSTS70021')) {
        const audience = identity?.audience ?? 'api://AzureADTokenExchange';
        const wrongAudience = identity && claims && String(claims.aud) !== identity.cloud.defaultAudience
            ? ` The audience differs from ${cloud}'s default '${identity.cloud.defaultAudience}': check the '${names.audience ?? 'audience'}' input.`
            : '';
        return (`Sign-in failed: Microsoft Entra found no federated credential on app '${clientId}' matching this workflow (AADSTS70021). ${presented}` +
            `On the app registration (Certificates & secrets > Federated credentials) add one with ` +
            `Issuer '${escapeLog(String(claims?.iss ?? 'https://token.actions.githubusercontent.com'))}', ` +
            `Subject identifier '${escapeLog(String(claims?.sub ?? 'repo:OWNER/REPO:ref:refs/heads/BRANCH'))}' and ` +
            `Audience '${escapeLog(audience)}'.${wrongAudience}`);
    }
    if (message.includes('AADSTS700016')) {
        return (`Sign-in failed: no application with client id '${clientId}' exists in tenant '${tenantId}' (AADSTS700016). ` +
            `Set '${names.clientId}' to the Application (client) ID shown on the app registration's Overview page, ` +
            `and '${names.tenantId}' to the tenant it is registered in.`);
    }
    if (/AADSTS90002|AADSTS900023|AADSTS50059/.test(message)) {
        return (`Sign-in failed: tenant '${tenantId}' was not found in ${cloud} (${/AADSTS\d+/.exec(message)[0]}). ` +
            `Set '${names.tenantId}' to the Directory (tenant) ID of your Microsoft Entra tenant, or '${names.environment}' ` +
            `if the tenant belongs to another cloud.`);
    }
    if (message.includes('AADSTS700024')) {
        return `Sign-in failed: the GitHub assertion was not within its valid time range when Entra checked it (AADSTS700024); check the runner's clock. ${presented}`.trim();
    }
    const foreignTenant = /configured to acquire tokens for tenant ([\w-]+(?:\.[\w-]+)*)/i.exec(message);
    if (foreignTenant) {
        return otherTenant(scene, foreignTenant[1], identity?.tenantId ?? '(none)');
    }
    const aadsts = /AADSTS\d+/.exec(message);
    const name = shape(error).name;
    if (aadsts ||
        name === 'AuthenticationError' ||
        name === 'CredentialUnavailableError' ||
        name === 'AggregateAuthenticationError') {
        return `Sign-in failed (auth '${identity?.method ?? 'oidc'}'): ${firstLine(error)}`;
    }
    return undefined;
}
function otherTenant(scene, vaultTenant, tokenTenant) {
    const names = scene.inputs ?? DEFAULT_INPUTS;
    const vault = scene.vault ? `vault '${escapeLog(scene.vault.name)}'` : 'the vault';
    return (`${vault} belongs to tenant '${escapeLog(vaultTenant)}', but this step signs in to tenant '${escapeLog(tokenTenant)}'. ` +
        `Set '${names.tenantId}' to '${escapeLog(vaultTenant)}' and '${names.clientId}' to an app registered in that tenant ` +
        `(with a federated credential for this workflow).`);
}
const TLS_CODES = new Set([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_GET_ISSUER_CERT',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'ERR_TLS_CERT_ALTNAME_INVALID'
]);
/** Every `code` in an error and its causes (Node puts the socket's code on the innermost one). */
function codes(error, depth = 0) {
    const s = shape(error);
    const own = typeof s.code === 'string' ? [s.code] : [];
    return depth > 4 || !s.cause ? own : [...own, ...codes(s.cause, depth + 1)];
}
/** Failures to reach a host: names that do not resolve, refused tunnels, TLS, proxies. */
function explainNetwork(error, scene) {
    const message = errorMessage(error);
    const all = [...codes(error), ...(/\b(E[A-Z_]{4,}|ERR_[A-Z_]+|[A-Z_]{8,})\b/.exec(message) ?? [])];
    const host = (/(?:ENOTFOUND|EAI_AGAIN|connect \w+|tunnel to) ([\w.-]+)/.exec(message)?.[1] ?? '').toLowerCase();
    const vault = scene.vault;
    const vaultHost = vault ? new URL(vault.url).hostname : '';
    const cloud = scene.identity?.cloud.name ?? 'AzureCloud';
    const environment = (scene.inputs ?? DEFAULT_INPUTS).environment;
    const notFound = vault
        ? `vault '${escapeLog(vault.name)}' not found in ${cloud} (${vaultHost} does not resolve): ` +
            `check the name, or '${environment}' for another cloud`
        : undefined;
    if (all.includes('ENOTFOUND') || all.includes('EAI_AGAIN')) {
        if (notFound && (!host || host === vaultHost))
            return notFound;
        return `${escapeLog(host || 'a host')} does not resolve from this runner: check the network and DNS (${all[0]})`;
    }
    if (/tunnel|CONNECT|proxy/i.test(message) && /\b(40[3-7]|502|503)\b/.test(message) && notFound) {
        return `${notFound} (the proxy refused a tunnel to it: ${firstLine(error)})`;
    }
    const tls = all.find(code => TLS_CODES.has(code));
    if (tls) {
        return (`TLS to ${escapeLog(host || vaultHost || 'the host')} failed (${tls}): the certificate it presented is not trusted. ` +
            `Behind a proxy that inspects TLS, give Node the proxy's CA in NODE_EXTRA_CA_CERTS (a PEM file).`);
    }
    if (all.includes('ECONNREFUSED')) {
        const proxy = scene.proxy ? safeUrl(scene.proxy) : undefined;
        if (proxy && message.includes(new URL(proxy).host.replace(/^localhost/, '127.0.0.1'))) {
            return `Cannot reach the proxy ${proxy} (HTTPS_PROXY): connection refused. Check that it runs and that HTTPS_PROXY names it.`;
        }
        return `Connection refused (${firstLine(error)}): check the vault's address${proxy ? ` and the proxy ${proxy} (HTTPS_PROXY)` : ''}`;
    }
    if (all.includes('ETIMEDOUT') || all.includes('ECONNRESET') || all.includes('ENETUNREACH')) {
        return `The network failed on the way to ${escapeLog(vaultHost || 'the host')} (${all.find(c => /^E/.test(c))}): ${firstLine(error)}`;
    }
    return undefined;
}
/** A URL without its user, password, query or fragment. */
function safeUrl(value) {
    try {
        const url = new URL(value);
        return `${url.protocol}//${url.host}`;
    }
    catch {
        return undefined;
    }
}
/** The vault's own refusals of who or where we are: 401 (tenant, audience) and the firewall's 403. */
function explainVaultRefusal(error, scene) {
    const { statusCode } = shape(error);
    const message = errorMessage(error);
    const vault = scene.vault ? `vault '${escapeLog(scene.vault.name)}'` : 'the vault';
    if (statusCode === 401) {
        const issuer = /AKV10032.*?Expected one of ([^,]+?sts[^,]*?\/([\w-]+)\/?),.*?found:? \S*?\/([\w-]+)\/?\.?$/s.exec(message);
        if (issuer)
            return otherTenant(scene, issuer[2], issuer[3]);
        if (message.includes('AKV10022')) {
            const found = /found:? (\S+?)\.?$/.exec(message)?.[1] ?? 'another resource';
            return (`${vault} refused the token (AKV10022: ${firstLine(error)}): it was issued for '${escapeLog(found)}'. ` +
                `Check '${(scene.inputs ?? DEFAULT_INPUTS).environment}': the vault and the sign-in must be in the same cloud.`);
        }
        return `${vault} refused the sign-in (401): ${firstLine(error)}`;
    }
    if (statusCode === 403 && /client address is not authorized|ForbiddenByFirewall|NSP rules/i.test(message)) {
        const address = /Client address:\s*([0-9a-fA-F.:]+)/.exec(message)?.[1];
        const name = scene.vault?.name ?? '<vault>';
        const allow = address
            ? `add it to the vault's firewall (az keyvault network-rule add --name ${escapeLog(name)} --ip-address ${address}/32, and remove it after the job), `
            : `allow the runner's address in the vault's firewall, `;
        return (`${vault} refused the runner's address${address ? ` ${address}` : ''} (403 ForbiddenByFirewall): ` +
            `${allow}or run the job on a runner inside the vault's allowed networks (a self-hosted runner, or a private endpoint).`);
    }
    return undefined;
}
// Built-in roles that grant each data action family (besides Key Vault Administrator).
const OFFICER_ROLE = {
    secrets: 'Key Vault Secrets Officer',
    keys: 'Key Vault Crypto Officer',
    certificates: 'Key Vault Certificates Officer'
};
const VERB = {
    list: type => (type === 'secrets' ? 'readMetadata/action' : 'read'),
    get: type => (type === 'secrets' ? 'getSecret/action' : 'read'),
    set: type => (type === 'secrets' ? 'setSecret/action' : 'update/action'),
    update: type => (type === 'secrets' ? 'setSecret/action' : 'update/action'),
    import: () => 'import/action',
    delete: () => 'delete',
    backup: () => 'backup/action',
    restore: () => 'restore/action',
    purge: () => 'purge/action',
    recover: () => 'recover/action'
};
/** The data action an operation needs on an RBAC vault. */
function requiredDataAction(type, operation) {
    return `Microsoft.KeyVault/vaults/${type}/${VERB[operation](type)}`;
}
/**
 * Explains a failed vault call in words a user can act on. A 403 names the missing data action (or
 * access-policy permission) and the role that grants it, taken from the service's own message when
 * it says (`Action: '...'` on RBAC vaults, `does not have secrets backup permission` on access-policy
 * vaults) and otherwise from the operation we attempted.
 */
function describeVaultError(error, type, operation) {
    const { statusCode, code } = shape(error);
    const message = firstLine(error);
    if (statusCode !== 403) {
        const status = statusCode ? ` (${statusCode}${code ? ` ${escapeLog(code)}` : ''})` : '';
        return `${message}${status}`;
    }
    if (/associated with a certificate/i.test(message)) {
        return `${message} (403: back up the certificate instead; it covers this item)`;
    }
    const policy = /does not have (\w+) (\w+) permission/i.exec(message);
    const family = policy?.[1] ?? type ?? 'secrets';
    if (policy) {
        return (`Permission denied: the vault's access policy for this identity lacks the '${policy[2]}' permission ` +
            `on ${family}. Add it under the vault's Access policies, or move the vault to RBAC and grant ` +
            `'${OFFICER_ROLE[family] ?? 'Key Vault Administrator'}'. Service said: ${message}`);
    }
    const action = /Action:\s*'([^']+)'/i.exec(errorMessage(error))?.[1] ?? requiredDataAction(family, operation);
    const actionFamily = /vaults\/(secrets|keys|certificates)\//.exec(action)?.[1] ?? family;
    return (`Permission denied: the identity lacks the data action '${escapeLog(action)}' on this vault. Grant the role ` +
        `'${OFFICER_ROLE[actionFamily]}' (or 'Key Vault Administrator'), or a custom role with that data action ` +
        `(see the README's least-privilege roles). Service said: ${message}`);
}
/** The management permission discovery needs, and the built-in role that grants it. */
const VAULTS_READ = 'Microsoft.KeyVault/vaults/read';
/** Explains a failed Resource Manager call (discovery, a vault's resource): one line naming the cause and the fix. */
function explainManagement(error, scene) {
    const inputs = { clientId: 'client-id', tenantId: 'tenant-id', environment: 'environment' };
    const shared = { identity: scene.identity, inputs };
    const signIn = explainSignIn(error, shared) ?? explainNetwork(error, shared);
    if (signIn)
        return signIn;
    const { statusCode, code } = shape(error);
    const message = errorMessage(error);
    const sub = scene.subscriptionId ? `subscription '${escapeLog(scene.subscriptionId)}'` : 'the subscription';
    const cloud = scene.identity.cloud.name;
    const tenant = escapeLog(scene.identity.tenantId ?? '(none)');
    if (statusCode === 403 && code === 'AuthorizationFailed') {
        const action = /perform action '([^']+)'/.exec(message)?.[1] ?? VAULTS_READ;
        const scope = /over scope '([^']+)'/.exec(message)?.[1] ??
            (scene.subscriptionId ? `/subscriptions/${scene.subscriptionId}` : 'the subscription');
        return (`Permission denied: the identity may not list the vaults of ${sub} (403 AuthorizationFailed: it lacks ` +
            `'${escapeLog(action)}' over '${escapeLog(scope)}'). Grant it the 'Reader' role (or a custom role with ` +
            `'${VAULTS_READ}') on the subscription, or on the resource groups to discover; a Key Vault data role ` +
            `alone does not list vaults. A role granted in the last minutes may not apply yet.`);
    }
    if (statusCode === 401 && code === 'InvalidAuthenticationTokenTenant') {
        const owner = /authority \(URL\) '[^']*\/([\w.-]+)'/.exec(message)?.[1];
        return (`${sub} belongs to ${owner ? `tenant '${escapeLog(owner)}'` : 'another tenant'}, but this step signs in to ` +
            `tenant '${tenant}' (401 InvalidAuthenticationTokenTenant). Discover it in a step with 'tenant-id: ` +
            `${escapeLog(owner ?? '<its tenant>')}' and a 'client-id' registered there, or leave it out of 'subscriptions'.`);
    }
    if (statusCode === 401 && code === 'InvalidAuthenticationTokenAudience') {
        return (`Resource Manager of ${cloud} refused the token (401 InvalidAuthenticationTokenAudience: ${firstLine(error)}). ` +
            `Check 'environment': the sign-in and Resource Manager must be in the same cloud.`);
    }
    if (statusCode === 401) {
        return `Resource Manager refused the sign-in (401${code ? ` ${escapeLog(code)}` : ''}): ${firstLine(error)}`;
    }
    if (statusCode === 404 && code === 'SubscriptionNotFound') {
        return (`${sub} was not found in ${cloud} (404 SubscriptionNotFound): check the id in 'subscriptions', ` +
            `or 'environment' if it belongs to another cloud.`);
    }
    if (statusCode === 429) {
        return `Resource Manager kept throttling the reads of ${sub} after every retry (429${code ? ` ${escapeLog(code)}` : ''}); run discover again later.`;
    }
    const status = statusCode ? ` (${statusCode}${code ? ` ${escapeLog(code)}` : ''})` : '';
    return `${firstLine(error)}${status}`;
}

;// CONCATENATED MODULE: ./src/core/identity.ts
/** Identities with equal settings are one identity: one credential, one sign-in. */
function identityKey(identity) {
    const { method, cloud, clientId, tenantId, audience } = identity;
    return JSON.stringify([method, cloud.name, clientId?.toLowerCase(), tenantId?.toLowerCase(), audience]);
}

;// CONCATENATED MODULE: ./src/core/pace.ts
/** The fewest requests per window a run of 429s can pace down to. */
const MIN_PER_WINDOW = 10;
/**
 * HTTP requests started in any sliding window, at most. Key Vault counts 4,000 transactions per 10 s
 * per vault (secrets and software keys); a tenth is left for the vault's other users.
 */
const VAULT_BUDGET = { requests: 3600, windowMs: 10_000 };
/**
 * How many requests may start in any sliding window, learnt from the vault. Key Vault throttles by
 * counting requests per 10 s, so the pace is a count per window, not a number of calls in flight:
 * it starts at the ceiling; a 429 lowers it to four fifths of what started in the last window; a
 * whole window without a 429 raises it by a quarter, back up to the ceiling.
 */
class Pace {
    ceiling;
    windowMs;
    allowed;
    /** Start times, a ring of `ceiling` entries; the next start is written at `next`. */
    starts = [];
    next = 0;
    lastChange = Number.NEGATIVE_INFINITY;
    constructor(ceiling, windowMs) {
        this.ceiling = ceiling;
        this.windowMs = windowMs;
        this.allowed = ceiling;
    }
    /** Calls allowed to start per window now. */
    get perWindow() {
        return this.allowed;
    }
    /** Records a start at `now` and returns 0, or returns how long to wait before trying again. */
    tryStart(now) {
        const oldest = this.recent(this.allowed);
        const wait = oldest === undefined ? 0 : oldest + this.windowMs - now;
        if (wait > 0)
            return wait;
        if (this.starts.length < this.ceiling)
            this.starts.push(now);
        else
            this.starts[this.next] = now;
        this.next = (this.next + 1) % this.ceiling;
        return 0;
    }
    /** A 429 at `now` (the caller counts a burst of them once). */
    throttled(now) {
        let started = 0;
        while (started < this.starts.length && this.recent(started + 1) > now - this.windowMs)
            started++;
        this.allowed = Math.max(MIN_PER_WINDOW, Math.min(this.allowed, Math.floor(started * 0.8)));
        this.lastChange = now;
    }
    /** A call that went through at `now`. */
    succeeded(now) {
        if (this.allowed < this.ceiling && now - this.lastChange >= this.windowMs) {
            this.allowed = Math.min(this.ceiling, Math.ceil(this.allowed * 1.25));
            this.lastChange = now;
        }
    }
    /** The k-th most recent start (k = 1 is the latest), if there were k. */
    recent(k) {
        if (k > this.starts.length)
            return undefined;
        return this.starts[(this.next - k + this.ceiling) % this.ceiling];
    }
}
/**
 * The pace of one vault's HTTP requests, with time injected: every request the clients send waits
 * in `start()` for room in the window (a pipeline policy calls it, so a poller's or a challenge's
 * extra requests count too), and reports its status to `answered()`. A burst of 429s from one
 * overload lowers the pace once per `cooldownMs`.
 */
class RequestPace {
    clock;
    sleep;
    cooldownMs;
    pace;
    lastDecrease = Number.NEGATIVE_INFINITY;
    /** Requests started, and 429s answered, since the start. */
    stats = { requests: 0, throttled: 0 };
    constructor(clock, sleep, budget = VAULT_BUDGET, cooldownMs = 1000) {
        this.clock = clock;
        this.sleep = sleep;
        this.cooldownMs = cooldownMs;
        this.pace = new Pace(budget.requests, budget.windowMs);
    }
    /** Requests allowed to start per window now. */
    get perWindow() {
        return this.pace.perWindow;
    }
    /** Waits until one more request may start, and counts it. */
    async start() {
        for (let wait = this.pace.tryStart(this.clock.now()); wait > 0;) {
            await this.sleep(wait);
            wait = this.pace.tryStart(this.clock.now());
        }
        this.stats.requests++;
    }
    /** Learns from a request's answer: 429 lowers the pace, anything else may raise it. */
    answered(status) {
        const now = this.clock.now();
        if (status !== 429)
            return this.pace.succeeded(now);
        this.stats.throttled++;
        if (now - this.lastDecrease < this.cooldownMs)
            return;
        this.pace.throttled(now);
        this.lastDecrease = now;
    }
}

;// CONCATENATED MODULE: ./src/core/retry.ts
// Connection-level failures worth another try; the SDK puts Node's error code on RestError.code.
// ECONNREFUSED is left out: it means a wrong host or proxy far more often than a passing hiccup.
const TRANSIENT_CODES = new Set([
    'ECONNRESET',
    'ECONNABORTED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'ENETUNREACH',
    'EHOSTUNREACH',
    'UND_ERR_SOCKET',
    'REQUEST_SEND_ERROR'
]);
/**
 * Classifies an error thrown by an SDK call: 429 is throttling, 408/5xx (not 501) and connection
 * resets are transient, everything else (403, 404, 400, sign-in failures) is fatal.
 */
function classifyFailure(error, nowMs) {
    const shape = (typeof error === 'object' && error !== null ? error : {});
    const status = typeof shape.statusCode === 'number' ? shape.statusCode : undefined;
    const retryAfterMs = readRetryAfter(shape.response?.headers, nowMs);
    if (status === 429)
        return { kind: 'throttled', retryAfterMs };
    if (status === 408 || (status !== undefined && status >= 500 && status !== 501 && status !== 505)) {
        return { kind: 'transient', retryAfterMs };
    }
    if (status === undefined && hasTransientCode(shape))
        return { kind: 'transient' };
    return { kind: 'fatal' };
}
function hasTransientCode(shape) {
    if (typeof shape.code === 'string' && TRANSIENT_CODES.has(shape.code))
        return true;
    const cause = shape.cause;
    return typeof cause?.code === 'string' && TRANSIENT_CODES.has(cause.code);
}
function header(headers, name) {
    if (!headers || typeof headers !== 'object')
        return undefined;
    const withGet = headers;
    if (typeof withGet.get === 'function')
        return withGet.get(name) ?? undefined;
    const record = headers;
    const key = Object.keys(record).find(k => k.toLowerCase() === name);
    return key === undefined ? undefined : String(record[key]);
}
/**
 * Reads the service's wait hint: `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds) or
 * `Retry-After` (seconds or an HTTP date), the same headers the SDK's own policy honours.
 */
function readRetryAfter(headers, nowMs) {
    for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
        const value = Number(header(headers, name));
        if (header(headers, name) !== undefined && Number.isFinite(value) && value >= 0)
            return value;
    }
    const retryAfter = header(headers, 'retry-after');
    if (retryAfter === undefined)
        return undefined;
    const seconds = Number(retryAfter);
    if (retryAfter.trim() !== '' && Number.isFinite(seconds) && seconds >= 0)
        return seconds * 1000;
    const date = Date.parse(retryAfter);
    return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
/**
 * Exponential backoff with jitter: base 1, 2, 4, 8, 16 s (Microsoft's advice for 429s), capped,
 * each delay drawn from [base/2, base] so parallel workers do not retry in lockstep.
 */
function backoffDelay(attempt, baseMs, maxMs, random) {
    const base = Math.min(maxMs, baseMs * 2 ** attempt);
    return Math.round(base / 2 + (random() * base) / 2);
}

;// CONCATENATED MODULE: ./src/core/rate.ts

/** The debug line for a retry. */
function describeRetry(e) {
    return `Retrying after ${e.kind} (attempt ${e.attempt}) in ${e.delayMs} ms, concurrency ${e.concurrency}`;
}
/**
 * Bounded, adaptive parallelism with retries (AIMD, as TCP does): every call takes a slot; a 429
 * halves the number of slots and pauses new calls until the wait is over; a run of successes adds
 * one slot back up to the starting value. 429s honour `Retry-After` when sent, else back off with
 * jitter; 5xx and connection resets are retried a bounded number of times. The requests of those
 * calls are paced apart from this, per HTTP request (see RequestPace).
 */
class RateController {
    limit;
    ceiling;
    active = 0;
    waiting = [];
    pausedUntil = 0;
    lastDecrease = Number.NEGATIVE_INFINITY;
    successes = 0;
    stats = { throttled: 0, transientRetries: 0 };
    o;
    constructor(options) {
        this.o = {
            random: Math.random,
            maxThrottleRetries: 12,
            maxTransientRetries: 8,
            baseDelayMs: 1000,
            maxDelayMs: 16000,
            maxRetryAfterMs: 120000,
            decreaseCooldownMs: 1000,
            ...options
        };
        this.ceiling = Math.max(1, Math.floor(options.concurrency));
        this.limit = this.ceiling;
    }
    /** The current number of slots. */
    get concurrency() {
        return this.limit;
    }
    /**
     * Runs one service call under the rate control, retrying as described on the class. `ahead` puts
     * the call before those already waiting for a slot: for the next page of a listing, the one chain
     * that every later call depends on.
     */
    async run(call, options = {}) {
        let throttles = 0;
        let transients = 0;
        for (;;) {
            await this.acquire(options.ahead === true);
            let failure;
            try {
                const result = await call();
                this.onSuccess();
                return result;
            }
            catch (error) {
                failure = error;
            }
            finally {
                this.release();
            }
            const now = this.o.clock.now();
            const kind = classifyFailure(failure, now);
            let delayMs;
            if (kind.kind === 'throttled' && throttles < this.o.maxThrottleRetries) {
                delayMs = this.waitFor(kind.retryAfterMs, throttles++);
                this.stats.throttled++;
                this.onThrottle(now, delayMs);
            }
            else if (kind.kind === 'transient' && transients < this.o.maxTransientRetries) {
                delayMs = this.waitFor(kind.retryAfterMs, transients++);
                this.stats.transientRetries++;
            }
            else {
                throw failure;
            }
            this.o.onRetry?.({
                kind: kind.kind,
                attempt: kind.kind === 'throttled' ? throttles : transients,
                delayMs,
                concurrency: this.limit
            });
            await this.o.sleep(delayMs);
        }
    }
    waitFor(retryAfterMs, attempt) {
        if (retryAfterMs !== undefined)
            return Math.min(retryAfterMs, this.o.maxRetryAfterMs);
        return backoffDelay(attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random);
    }
    async acquire(ahead) {
        while (this.active >= this.limit) {
            await new Promise(resolve => (ahead ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
        }
        this.active++;
        // A throttled vault answers everyone the same: new calls wait out the pause too.
        for (let wait = this.pausedUntil - this.o.clock.now(); wait > 0; wait = this.pausedUntil - this.o.clock.now()) {
            await this.o.sleep(wait);
        }
    }
    release() {
        this.active--;
        this.wake();
    }
    // A woken caller re-checks the limit in acquire(), so waking one too many is harmless.
    wake() {
        for (let free = this.limit - this.active; free > 0 && this.waiting.length > 0; free--) {
            ;
            this.waiting.shift()();
        }
    }
    onThrottle(now, delayMs) {
        this.pausedUntil = Math.max(this.pausedUntil, now + delayMs);
        this.successes = 0;
        if (now - this.lastDecrease >= this.o.decreaseCooldownMs) {
            this.limit = Math.max(1, Math.floor(this.limit / 2));
            this.lastDecrease = now;
        }
    }
    onSuccess() {
        this.successes++;
        if (this.limit < this.ceiling && this.successes >= this.limit) {
            this.limit++;
            this.successes = 0;
            this.wake();
        }
    }
}

;// CONCATENATED MODULE: ./src/version.ts
/** Written into each manifest and the User-Agent; __tests__/unit/version.test.ts keeps it equal to package.json. */
const TOOL_NAME = 'keyvault-backup';
const TOOL_VERSION = '0.1.0';

;// CONCATENATED MODULE: ./src/lifecycle.ts












/** Thrown for a mistake in the set-up (or a refusal before any write): the step ends with this one message. */
class StepError extends Error {
}
/** The shared context of one run: one credential per identity, one pace and rate controller per vault. */
class Run {
    host;
    publish;
    log;
    clock;
    sleep;
    identities = new Map();
    locators = new Map();
    connections = new Map();
    temps = [];
    constructor(host, 
    /** Writes the summary as the report stands now (e.g. a plan before the first write). */
    publish) {
        this.host = host;
        this.publish = publish;
        this.log = host.log;
        this.clock = host.clock;
        this.sleep = host.sleep;
    }
    /** Signs in as `identity` once per run; equal identities share one credential. */
    signIn(identity) {
        const key = identityKey(identity);
        let signedIn = this.identities.get(key);
        if (!signedIn) {
            signedIn = signIn(identity, this.host.auth, this.clock);
            this.identities.set(key, signedIn);
        }
        return signedIn;
    }
    /**
     * Connects to a vault: signs in, builds its clients, and makes the first call (one item of one
     * listing). Any failure there is a set-up mistake (sign-in, name, cloud, network, firewall,
     * permission) and throws a StepError with the one message that names the cause and the fix.
     */
    async connect(vault, identity, options) {
        const key = `${vault.url}|${identityKey(identity)}|${[...options.allow].sort().join(',')}`;
        const existing = this.connections.get(key);
        if (existing)
            return existing;
        let signedIn;
        try {
            signedIn = this.signIn(identity);
        }
        catch (error) {
            throw new StepError(errorMessage(error));
        }
        const pace = new RequestPace(this.clock, this.sleep);
        const rate = new RateController({
            concurrency: options.concurrency,
            clock: this.clock,
            sleep: this.sleep,
            onRetry: e => this.log.debug(`${vault.name}: ${describeRetry(e)}, pace ${pace.perWindow} per 10 s`)
        });
        let region;
        const clients = createVaultClients(vault, signedIn.credential, {
            userAgent: `${TOOL_NAME}/${TOOL_VERSION}`,
            pace,
            allow: options.allow,
            onRegion: value => (region = value)
        });
        const scene = (extra = {}) => ({
            vault,
            identity,
            claims: signedIn.claims(),
            ...(options.inputs && { inputs: options.inputs }),
            ...(process.env.HTTPS_PROXY && { proxy: process.env.HTTPS_PROXY }),
            ...extra
        });
        const connection = {
            vault,
            identity,
            clients,
            rate,
            pace,
            region: () => region,
            explain: (error, extra) => explain(error, scene(extra))
        };
        try {
            await rate.run(() => checkAccess(clients, options.firstType));
        }
        catch (error) {
            throw new StepError(explain(error, scene({ type: options.firstType, operation: 'list' })));
        }
        this.connections.set(key, connection);
        return connection;
    }
    /**
     * The vault's resource in Resource Manager (subscription, resource group, location, tenant), when
     * the identity may read it (Reader, or `Microsoft.KeyVault/vaults/read`); otherwise why not, in
     * words for one log line. Never throws: without that permission the run goes on as before.
     */
    async vaultResource(vault, identity) {
        const key = identityKey(identity);
        let locator = this.locators.get(key);
        if (!locator) {
            const plane = createManagementPlane(identity.cloud, this.signIn(identity).credential, {
                userAgent: `${TOOL_NAME}/${TOOL_VERSION}`
            });
            locator = new VaultLocator(plane, new RateController({ concurrency: 1, clock: this.clock, sleep: this.sleep }));
            this.locators.set(key, locator);
        }
        try {
            const resource = await locator.locate(vault.url);
            return resource
                ? { resource }
                : {
                    unreadable: `no subscription this identity may read holds vault '${vault.name}' (Reader on it, or Microsoft.KeyVault/vaults/read, would let it)`
                };
        }
        catch (error) {
            return { unreadable: explainManagement(error, { identity }) };
        }
    }
    /**
     * Explains a failure that stopped the run: sign-in, network and vault refusals get their
     * explanation; anything else (our own checks) keeps its whole message.
     */
    explainFatal(error) {
        if (error instanceof StepError)
            return error.message;
        const scene = {};
        return (explainSignIn(error, scene) ??
            explainNetwork(error, scene) ??
            explainVaultRefusal(error, scene) ??
            errorMessage(error));
    }
    /**
     * Registers a value as a secret of the log before anything can print it: the whole value and each
     * of its lines (the runner masks line by line). Copy calls it on every value it reads.
     */
    mask(value) {
        if (!value)
            return;
        this.host.auth.setSecret(value);
        for (const line of value.split(/\r?\n/))
            if (line.trim() && line !== value)
                this.host.auth.setSecret(line.trim());
    }
    /** One line on throttling and retries of a vault, when there were any. */
    logRateControl(connection) {
        const { throttled, transientRetries } = connection.rate.stats;
        if (throttled + transientRetries === 0)
            return;
        this.log.info(`Rate control on ${connection.vault.name}: ${connection.pace.stats.requests} requests, ${throttled} throttled, ` +
            `${transientRetries} transient retries; pace now ${connection.pace.perWindow} requests per 10 s`);
    }
    /** A fresh folder for temporary files, removed when the run ends (success or failure). */
    async tempDir(prefix) {
        await (0,promises_.mkdir)(this.host.tempRoot, { recursive: true });
        const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)(this.host.tempRoot, `${prefix}-`));
        this.temps.push(dir);
        return dir;
    }
    /** Removes the run's temporary folders. */
    async close() {
        for (const dir of this.temps.splice(0)) {
            await (0,promises_.rm)(dir, { recursive: true, force: true }).catch(error => this.log.warning(`Could not remove the temporary folder ${dir}: ${errorMessage(error)}`));
        }
    }
}
/**
 * Runs an operation in a host: the report is filled by the operation; whatever happens, the
 * outputs and the job summary are written from it, temporary files are removed, and the step
 * fails with one error for a fatal failure, or with the failed items (unless `fail-on-error` is
 * false, which turns them into a warning).
 */
async function runOperation(host, operation, settings) {
    const report = operation.newReport(settings);
    const run = new Run(host, () => host.writeSummary(operation.summary(report)));
    try {
        await operation.run(run, settings, report);
        const failures = operation.failures(report);
        if (failures && settings.failOnError)
            host.fail(failures);
        else if (failures)
            host.log.warning(`${failures}\n(fail-on-error is false, so the step succeeds)`);
    }
    catch (error) {
        report.fatal = run.explainFatal(error);
        host.fail(report.fatal);
    }
    finally {
        await run.close();
        host.setOutputs(operation.outputs(report));
        await host.writeSummary(operation.summary(report));
    }
    return report;
}

// EXTERNAL MODULE: ./node_modules/@actions/http-client/lib/index.js + 1 modules
var lib = __webpack_require__(44942);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./src/core/manifest.ts


/**
 * Bumped on any change restore must know about; restore refuses formats it does not know. Version 2
 * records whether the backup is complete; a restore of version 1 derives it from the failures.
 */
const MANIFEST_FORMAT_VERSION = 2;
const READABLE_FORMAT_VERSIONS = [1, 2];
const MANIFEST_FILE = 'manifest.json';
/**
 * In the artifact the blobs travel in one uncompressed tar beside the manifest, under their folder
 * paths: @actions/artifact's zip step holds about 17 KB of memory per file (170 MB at 10,000 blobs).
 */
const BLOBS_ARCHIVE = 'blobs.tar';
/** Key Vault object names: letters, digits and hyphens, 1-127 characters. */
const OBJECT_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** The blob's place in the backup folder. Throws on a name Key Vault would never return. */
function blobFile(type, name) {
    if (!OBJECT_NAME.test(name))
        throw new Error(`refusing unexpected object name '${name.slice(0, 130)}'`);
    return `${type}/${name}.blob`;
}
/** Lowercase hex SHA-256. */
function sha256Hex(data) {
    return (0,external_node_crypto_.createHash)('sha256').update(data).digest('hex');
}
/** Builds a manifest item from what listing said and what writing the blob measured. */
function manifestItem(item, blob, versionCount, versionIds) {
    return {
        type: item.type,
        name: item.name,
        file: blob.file,
        size: blob.size,
        sha256: blob.sha256,
        versionCount,
        ...(versionIds !== undefined && { versionIds: [...versionIds] }),
        enabled: item.enabled,
        ...(item.contentType !== undefined && { contentType: item.contentType }),
        tags: { ...item.tags },
        ...(item.updatedOn !== undefined && { updatedOn: item.updatedOn }),
        ...(item.recoveryLevel !== undefined && { recoveryLevel: item.recoveryLevel })
    };
}
const byTypeThenName = (a, b) => ITEM_TYPES.indexOf(a.type) - ITEM_TYPES.indexOf(b.type) || a.name.localeCompare(b.name);
/** Assembles the manifest in a stable order, so two backups of the same vault diff cleanly. */
function buildManifest(input) {
    return {
        formatVersion: MANIFEST_FORMAT_VERSION,
        tool: input.tool,
        createdAt: input.createdAt,
        source: input.source,
        complete: input.incompleteTypes.length === 0 && input.failed.length === 0,
        incompleteTypes: [...input.incompleteTypes].sort((a, b) => ITEM_TYPES.indexOf(a.type) - ITEM_TYPES.indexOf(b.type)),
        items: [...input.items].sort(byTypeThenName),
        skipped: [...input.skipped].sort(byTypeThenName),
        failed: [...input.failed].sort(byTypeThenName)
    };
}
/**
 * The exact bytes of `manifest.json` (whose SHA-256 is the `manifest-sha256` output):
 * `JSON.stringify(manifest, null, 2)` plus a newline, in pieces of about `chunkChars` characters.
 * At 10,000 items the whole text is 6 MB, and building it as one string (plus its Buffer) put a
 * 20-40 MB spike on the backup's peak RSS. Each list element is stringified alone and indented as
 * JSON.stringify would (its only newlines are structural, since string values escape theirs).
 */
function* serializeManifestChunks(manifest, chunkChars = 64 * 1024) {
    let buffer = '';
    for (const piece of manifestPieces(manifest)) {
        buffer += piece;
        if (buffer.length >= chunkChars) {
            yield buffer;
            buffer = '';
        }
    }
    if (buffer)
        yield buffer;
}
const indented = (json, pad) => json.replaceAll('\n', `\n${pad}`);
function* manifestPieces(manifest) {
    // JSON.stringify drops keys whose value is undefined; so must we.
    const entries = Object.entries(manifest).filter(([, value]) => value !== undefined);
    if (entries.length === 0) {
        yield '{}\n';
        return;
    }
    yield '{';
    for (const [index, [key, value]] of entries.entries()) {
        yield `${index ? ',' : ''}\n  ${JSON.stringify(key)}: `;
        if (Array.isArray(value) && value.length > 0) {
            yield '[';
            for (const [at, element] of value.entries()) {
                yield `${at ? ',' : ''}\n    ${indented(JSON.stringify(element, null, 2) ?? 'null', '    ')}`;
            }
            yield '\n  ]';
        }
        else {
            yield indented(JSON.stringify(value, null, 2), '  ');
        }
    }
    yield '\n}\n';
}
/**
 * Parses and checks a manifest before anything trusts it: known format version, well-formed items,
 * and every file exactly `<type>/<name>.blob` (so no path can climb out of the folder), each once.
 * Throws one error listing every problem.
 */
function parseManifest(text) {
    let data;
    try {
        data = JSON.parse(text);
    }
    catch (error) {
        throw new Error(`manifest.json is not valid JSON: ${error.message}`);
    }
    const problems = [];
    const m = (data ?? {});
    if (!READABLE_FORMAT_VERSIONS.includes(m.formatVersion)) {
        problems.push(`unsupported manifest format version ${JSON.stringify(m.formatVersion)} (this version reads ${READABLE_FORMAT_VERSIONS.join(' and ')})`);
    }
    if (typeof m.source?.vaultUrl !== 'string')
        problems.push('source.vaultUrl is missing');
    if (!Array.isArray(m.items))
        problems.push('items is not a list');
    const seen = new Set();
    for (const [index, item] of (Array.isArray(m.items) ? m.items : []).entries()) {
        const where = `items[${index}]`;
        if (!ITEM_TYPES.includes(item?.type)) {
            problems.push(`${where}: unknown type ${JSON.stringify(item?.type)}`);
            continue;
        }
        if (typeof item.name !== 'string' || !OBJECT_NAME.test(item.name)) {
            problems.push(`${where}: invalid name ${JSON.stringify(item.name)}`);
            continue;
        }
        if (item.file !== `${item.type}/${item.name}.blob`) {
            problems.push(`${where}: file ${JSON.stringify(item.file)} is not ${item.type}/${item.name}.blob`);
        }
        const key = `${item.type}/${item.name.toLowerCase()}`;
        if (seen.has(key))
            problems.push(`${where}: ${item.type} '${item.name}' is listed twice`);
        seen.add(key);
        if (!Number.isSafeInteger(item.size) || item.size <= 0)
            problems.push(`${where}: invalid size`);
        if (typeof item.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(item.sha256)) {
            problems.push(`${where}: invalid sha256`);
        }
        if (!Number.isSafeInteger(item.versionCount) || item.versionCount < 1) {
            problems.push(`${where}: invalid versionCount`);
        }
        if (item.versionIds !== undefined &&
            (!Array.isArray(item.versionIds) ||
                item.versionIds.length !== item.versionCount ||
                !item.versionIds.every((id) => typeof id === 'string' && /^[0-9a-zA-Z]{1,64}$/.test(id)))) {
            problems.push(`${where}: versionIds does not match versionCount`);
        }
    }
    const failed = Array.isArray(m.failed) ? m.failed : [];
    let incompleteTypes;
    if (m.formatVersion === 1) {
        // Version 1 recorded a type whose listing failed as a failed item named '*'.
        incompleteTypes = failed.filter(f => f.name === '*').map(f => ({ type: f.type, reason: f.reason }));
    }
    else {
        incompleteTypes = Array.isArray(m.incompleteTypes) ? m.incompleteTypes : [];
        if (!Array.isArray(m.incompleteTypes))
            problems.push('incompleteTypes is not a list');
        const complete = incompleteTypes.length === 0 && failed.length === 0;
        if (m.complete !== complete) {
            problems.push(`complete is ${JSON.stringify(m.complete)} but the manifest lists ${incompleteTypes.length} incomplete types and ${failed.length} failed items`);
        }
    }
    if (problems.length > 0)
        throw new Error(`manifest.json is invalid: ${problems.join('; ')}`);
    const manifest = m;
    return {
        ...manifest,
        complete: incompleteTypes.length === 0 && failed.length === 0,
        incompleteTypes,
        skipped: manifest.skipped ?? [],
        failed: failed.filter(f => f.name !== '*')
    };
}
/** What an incomplete backup lacks, one line each (empty for a complete backup). */
function missingFromBackup(manifest) {
    return [
        ...manifest.incompleteTypes.map(t => `${t.type}: ${t.reason}`),
        ...manifest.failed.map(f => `${f.type.slice(0, -1)} '${f.name}': ${f.reason}`)
    ];
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
;// CONCATENATED MODULE: ./src/adapters/folder.ts






/** Makes the folder of `file` unless this set says it was made already (one mkdir per folder). */
async function makeFolderOf(file, made) {
    const folder = (0,external_node_path_.dirname)(file);
    if (made.has(folder))
        return;
    await (0,promises_.mkdir)(folder, { recursive: true });
    made.add(folder);
}
/** Writes blobs and the manifest into the backup folder, one file per blob as it arrives. */
class BackupFolderWriter {
    root;
    blobs = [];
    folders = new Set();
    constructor(root) {
        this.root = root;
    }
    /** Writes one blob (via a temporary name, so a killed run never leaves a half blob under a good name). */
    async writeBlob(file, bytes) {
        const target = this.resolveInside(file);
        await makeFolderOf(target, this.folders);
        await (0,promises_.writeFile)(`${target}.partial`, bytes);
        await (0,promises_.rename)(`${target}.partial`, target);
        this.blobs.push(file);
        return { size: bytes.length, sha256: sha256Hex(bytes) };
    }
    /** Writes `manifest.json` and returns its path and SHA-256. */
    async writeManifest(manifest) {
        const path = this.resolveInside(MANIFEST_FILE);
        await (0,promises_.mkdir)(this.root, { recursive: true });
        // Streamed and hashed piece by piece: the whole text of a large vault's manifest is megabytes.
        const hash = (0,external_node_crypto_.createHash)('sha256');
        await (0,external_node_stream_promises_.pipeline)(function* () {
            for (const chunk of serializeManifestChunks(manifest)) {
                hash.update(chunk);
                yield chunk;
            }
        }, (0,external_node_fs_.createWriteStream)(path));
        return { path, sha256: hash.digest('hex') };
    }
    /** The blobs written, relative to the folder, for the artifact upload (stale files are not uploaded). */
    blobFiles() {
        return [...this.blobs];
    }
    resolveInside(file) {
        return resolveInside(this.root, file);
    }
}
/** Resolves a relative path under root; throws if it would land outside. */
function resolveInside(root, file) {
    const base = (0,external_node_path_.resolve)(root);
    const target = (0,external_node_path_.resolve)(base, file);
    const rel = (0,external_node_path_.relative)(base, target);
    if (rel === '' || rel.startsWith('..') || rel.startsWith(external_node_path_.sep) || (0,external_node_path_.resolve)(base, rel) !== target) {
        throw new Error(`path '${file}' is outside the backup folder`);
    }
    return target;
}
/**
 * Verifies a backup folder before restore trusts it: the manifest parses (format version, safe
 * paths) and every blob has the recorded size and hash. `measured` gives sizes and hashes already
 * taken (while unpacking) instead of reading the files.
 */
async function verifyBackupFolder(root, measured) {
    const text = await (0,promises_.readFile)((0,external_node_path_.join)(root, MANIFEST_FILE), 'utf8');
    const manifestSha256 = sha256Hex(text);
    const problems = [];
    const manifest = parseManifest(text);
    const realRoot = await (0,promises_.realpath)(root);
    const check = async (item) => {
        try {
            const path = resolveInside(root, item.file);
            const found = measured ? measured.get(item.file) : await measureFile(path, realRoot);
            if (!found)
                return [`${item.file} is missing`];
            if (found === 'not regular')
                return [`${item.file} is not a regular file inside the backup folder`];
            if (found.size !== item.size)
                return [`${item.file} has ${found.size} bytes, manifest says ${item.size}`];
            if (found.sha256 !== item.sha256) {
                return [`${item.file} has SHA-256 ${found.sha256}, manifest says ${item.sha256}`];
            }
            return [];
        }
        catch (error) {
            return [`${item.file}: ${error.message}`];
        }
    };
    // Sixteen files at a time: one by one, the file system's round trips dominate.
    for (let i = 0; i < manifest.items.length; i += 16) {
        const batch = await Promise.all(manifest.items.slice(i, i + 16).map(check));
        problems.push(...batch.flat());
    }
    return { manifest, manifestSha256, problems };
}
/** Size and SHA-256 of a file in the folder, undefined when absent, 'not regular' for links and the like. */
async function measureFile(path, realRoot) {
    const info = await (0,promises_.lstat)(path).catch((error) => {
        if (error.code === 'ENOENT')
            return undefined;
        throw error;
    });
    if (!info)
        return undefined;
    // A symlinked folder inside the backup could still point elsewhere: compare real paths too.
    if (!info.isFile() || !(await (0,promises_.realpath)(path)).startsWith(realRoot + external_node_path_.sep))
        return 'not regular';
    return { size: info.size, sha256: await hashFile(path) };
}
async function hashFile(path) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    for await (const chunk of (0,external_node_fs_.createReadStream)(path))
        hash.update(chunk);
    return hash.digest('hex');
}

;// CONCATENATED MODULE: ./src/adapters/tar.ts




/**
 * A small POSIX tar (ustar, with pax headers for long names) for the artifact: @actions/artifact's zip
 * step holds about 17 KB of memory per file, so the blobs travel as one uncompressed `blobs.tar`.
 * Only what a backup needs: regular files and directories, no links, no owners.
 */
const BLOCK = 512;
const EMPTY = Buffer.alloc(BLOCK);
/** Files read ahead while packing: one at a time, the file system's round trips took 0.4 ms a blob. */
const READ_AHEAD = 16;
function octal(value, width) {
    return value.toString(8).padStart(width - 1, '0') + '\0';
}
function tar_header(name, size, type, prefix = '', mtime = 0) {
    const block = Buffer.alloc(BLOCK);
    block.write(name, 0, 100, 'utf8');
    block.write(octal(0o644, 8), 100, 'ascii');
    block.write(octal(0, 8), 108, 'ascii');
    block.write(octal(0, 8), 116, 'ascii');
    block.write(octal(size, 12), 124, 'ascii');
    block.write(octal(mtime, 12), 136, 'ascii');
    block.write(' '.repeat(8), 148, 'ascii');
    block.write(type, 156, 'ascii');
    block.write('ustar\u000000', 257, 'ascii');
    block.write(prefix, 345, 155, 'utf8');
    block.write(octal(checksum(block), 7) + ' ', 148, 'ascii');
    return block;
}
function checksum(block) {
    let sum = 0;
    for (let i = 0; i < BLOCK; i++)
        sum += i >= 148 && i < 156 ? 32 : block[i];
    return sum;
}
/** The header blocks for one file: plain ustar when the path fits, else a pax `path` record first. */
function fileHeaders(path, size, mtime) {
    if (Buffer.byteLength(path) <= 100)
        return [tar_header(path, size, '0', '', mtime)];
    const cut = path.lastIndexOf('/');
    if (cut > 0 && cut <= 155 && Buffer.byteLength(path.slice(cut + 1)) <= 100) {
        return [tar_header(path.slice(cut + 1), size, '0', path.slice(0, cut), mtime)];
    }
    const body = ` path=${path}\n`;
    let length = body.length + 1;
    while (`${length}${body}`.length !== length)
        length++;
    const record = Buffer.from(`${length}${body}`);
    return [
        tar_header('PaxHeader', record.length, 'x', '', mtime),
        padded(record),
        tar_header(path.slice(-100), size, '0', '', mtime)
    ];
}
function padded(data) {
    const rest = data.length % BLOCK;
    return rest === 0 ? data : Buffer.concat([data, EMPTY.subarray(rest)]);
}
/** Writes `files` (relative, forward slashes) read from `root` into one tar at `target`. */
async function packFiles(root, files, target) {
    const out = await (0,promises_.open)(target, 'wx');
    const mtime = Math.floor(Date.now() / 1000);
    // Reads run ahead and writes go out about 1 MiB at a time.
    const reads = files.map((file, i) => (i < READ_AHEAD ? (0,promises_.readFile)(resolveInside(root, file)) : undefined));
    let pending = [];
    let pendingBytes = 0;
    try {
        for (let i = 0; i < files.length; i++) {
            const ahead = i + READ_AHEAD;
            if (ahead < files.length)
                reads[ahead] = (0,promises_.readFile)(resolveInside(root, files[ahead]));
            const data = await reads[i];
            reads[i] = undefined;
            pending.push(...fileHeaders(files[i], data.length, mtime), padded(data));
            pendingBytes += data.length;
            if (pendingBytes >= 1 << 20) {
                await out.writev(pending);
                pending = [];
                pendingBytes = 0;
            }
        }
        await out.writev([...pending, Buffer.alloc(BLOCK * 2)]);
    }
    finally {
        // A failed read must not leave the prefetched ones unobserved.
        await Promise.allSettled(reads.filter(Boolean));
        await out.close();
    }
}
function parseHeader(block, where) {
    const text = (start, length) => {
        const field = block.subarray(start, start + length);
        const end = field.indexOf(0);
        return field.subarray(0, end === -1 ? length : end).toString('utf8');
    };
    const number = (start, length) => {
        const digits = text(start, length).trim();
        if (!/^[0-7]+$/.test(digits))
            throw new Error(`the tar header at byte ${where} is damaged`);
        return parseInt(digits, 8);
    };
    if (!text(257, 6).startsWith('ustar') || number(148, 8) !== checksum(block)) {
        throw new Error(`the tar header at byte ${where} is damaged (not ustar, or a bad checksum)`);
    }
    const name = text(0, 100);
    const prefix = text(345, 155);
    return { path: prefix ? `${prefix}/${name}` : name, size: number(124, 12), type: text(156, 1) || '0' };
}
/** Reads the `path` record of a pax header, if any. */
function paxPath(records) {
    let rest = records;
    let path;
    while (rest.length > 0) {
        const space = rest.indexOf(' ');
        const length = Number(rest.slice(0, space));
        if (space <= 0 || !Number.isInteger(length) || length <= space || length > rest.length) {
            throw new Error('a pax header in the tar is damaged');
        }
        const record = rest.slice(space + 1, length - 1);
        if (record.startsWith('path='))
            path = record.slice(5);
        rest = rest.slice(length);
    }
    return path;
}
/**
 * Unpacks a tar into `root`, refusing (with the entry's name) links, devices, absolute or climbing
 * paths, duplicates and anything past the end of the file. Nothing is written outside `root`.
 * Returns each file written (relative path) with its size and SHA-256, measured on the way.
 */
async function unpackFiles(tar, root) {
    const input = await (0,promises_.open)(tar, 'r');
    const written = new Map();
    const folders = new Set();
    try {
        const { size: total } = await input.stat();
        let offset = 0;
        let longPath;
        for (;;) {
            const block = await readExactly(input, offset, BLOCK, total);
            if (block.equals(EMPTY))
                return written;
            const entry = parseHeader(block, offset);
            const dataStart = offset + BLOCK;
            offset = dataStart + Math.ceil(entry.size / BLOCK) * BLOCK;
            if (offset > total)
                throw new Error(`the tar entry '${entry.path}' runs past the end of the file`);
            if (entry.type === 'x' || entry.type === 'L') {
                const data = (await readExactly(input, dataStart, entry.size, total)).toString('utf8');
                // A pax `path` record, or GNU tar's own long name (its default format).
                longPath = entry.type === 'x' ? paxPath(data) : data.replace(/\0+$/, '');
                continue;
            }
            const path = longPath ?? entry.path;
            longPath = undefined;
            // Directories are made as files need them; a global pax header carries nothing we use.
            if (entry.type === '5' || entry.type === 'g')
                continue;
            const target = safeTarget(root, path);
            if (entry.type !== '0' && entry.type !== '7') {
                throw new Error(`the tar entry '${path}' is not a regular file (type '${entry.type}')`);
            }
            const relative = external_node_path_.posix.normalize(path);
            if (written.has(relative))
                throw new Error(`the tar holds '${path}' twice`);
            await makeFolderOf(target, folders);
            written.set(relative, await copyRange(input, dataStart, entry.size, total, target));
        }
    }
    finally {
        await input.close();
    }
}
function safeTarget(root, path) {
    if (path.startsWith('/') || path.split('/').includes('..') || path.includes('\\')) {
        throw new Error(`the tar entry '${path}' would land outside the backup folder`);
    }
    return resolveInside(root, path);
}
async function readExactly(input, position, length, total) {
    if (position + length > total)
        throw new Error(`the tar ends early, at byte ${total}`);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await input.read(buffer, 0, length, position);
    if (bytesRead !== length)
        throw new Error(`the tar ends early, at byte ${position + bytesRead}`);
    return buffer;
}
async function copyRange(input, start, size, total, target) {
    const out = await (0,promises_.open)(target, 'wx');
    const hash = (0,external_node_crypto_.createHash)('sha256');
    try {
        for (let done = 0; done < size;) {
            const chunk = await readExactly(input, start + done, Math.min(1 << 20, size - done), total);
            hash.update(chunk);
            await out.write(chunk);
            done += chunk.length;
        }
    }
    finally {
        await out.close();
    }
    return { size, sha256: hash.digest('hex') };
}

;// CONCATENATED MODULE: ./src/adapters/artifact.ts






/** The artifact's page: `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}/artifacts/${id}`. */
function artifactUrl(env, id) {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    return `${server}/${env.GITHUB_REPOSITORY ?? ''}/actions/runs/${env.GITHUB_RUN_ID ?? ''}/artifacts/${id}`;
}
/**
 * Uploads the backup folder as one artifact: `manifest.json` and `blobs.tar` (the written blobs,
 * relative paths, under those paths), staged in a temporary folder removed afterwards.
 */
/**
 * @actions/artifact, with the storage SDK it carries (a third of the bundle), is loaded only by the
 * runs that upload or download: copy, discover and a restore from a folder start without parsing it.
 */
async function artifactClient() {
    const { DefaultArtifactClient } = await __webpack_require__.e(/* import() */ 725).then(__webpack_require__.bind(__webpack_require__, 34725));
    return new DefaultArtifactClient();
}
async function uploadBackup(root, blobs, settings) {
    const env = process.env;
    const client = await artifactClient();
    const temp = env.RUNNER_TEMP || (0,external_node_os_.tmpdir)();
    await (0,promises_.mkdir)(temp, { recursive: true });
    const stage = await (0,promises_.mkdtemp)((0,external_node_path_.join)(temp, 'keyvault-backup-upload-'));
    let result;
    try {
        await packFiles(root, blobs, (0,external_node_path_.join)(stage, BLOBS_ARCHIVE));
        await (0,promises_.copyFile)((0,external_node_path_.join)(root, MANIFEST_FILE), (0,external_node_path_.join)(stage, MANIFEST_FILE));
        const staged = [(0,external_node_path_.join)(stage, MANIFEST_FILE), (0,external_node_path_.join)(stage, BLOBS_ARCHIVE)];
        result = await client.uploadArtifact(settings.name, staged, stage, {
            ...(settings.retentionDays !== undefined && { retentionDays: settings.retentionDays }),
            compressionLevel: settings.compressionLevel
        });
    }
    finally {
        await (0,promises_.rm)(stage, { recursive: true, force: true });
    }
    if (result.id === undefined)
        throw new Error(`artifact '${settings.name}' was uploaded but no id came back`);
    return {
        id: result.id,
        url: artifactUrl(env, result.id),
        digest: result.digest ?? '',
        size: result.size ?? 0
    };
}
async function getJson(url, token, what) {
    const response = await new lib/* HttpClient */.Qq('keyvault-backup').get(url, {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28'
    });
    const status = response.message.statusCode ?? 0;
    const text = await response.readBody();
    if (status < 200 || status >= 300) {
        const hint = status === 401 || status === 403 || status === 404;
        throw new Error(`${what} failed with HTTP ${status}` +
            (hint ? ": check 'repository' and that 'github-token' has 'actions: read'" : ''));
    }
    return JSON.parse(text);
}
/**
 * The artifacts of that name that `latest` may restore, newest first, and those it passed over.
 * Anyone who can open a pull request from a fork can make a workflow of this repository upload an
 * artifact of any name ("artifact poisoning"), so only runs whose head repository is the repository
 * itself count, and only on `branch` (default: the repository's default branch; '*': any branch).
 * Uses @actions/http-client, which honours the runner's proxy settings as the artifact client does.
 */
async function findTrustedArtifacts(name, repository, token, branch) {
    const api = process.env.GITHUB_API_URL ?? 'https://api.github.com';
    const repo = await getJson(`${api}/repos/${repository}`, token, `reading repository ${repository}`);
    const trusted = branch ?? repo.default_branch ?? 'main';
    const body = await getJson(`${api}/repos/${repository}/actions/artifacts?name=${encodeURIComponent(name)}&per_page=100`, token, `listing artifacts named '${name}' in ${repository}`);
    const candidates = [];
    const passedOver = [];
    for (const a of body.artifacts ?? []) {
        const run = a.workflow_run ?? {};
        const base = {
            id: a.id ?? 0,
            ...(run.id && { runId: run.id }),
            ...(a.created_at && { createdAt: a.created_at })
        };
        if (a.expired)
            passedOver.push({ ...base, reason: 'expired' });
        else if (!run.id)
            passedOver.push({ ...base, reason: 'its run is unknown' });
        else if (run.head_repository_id !== run.repository_id || (repo.id && run.repository_id !== repo.id)) {
            passedOver.push({
                ...base,
                reason: `uploaded by a run from another repository (a fork, head repository id ${run.head_repository_id})`
            });
        }
        else if (trusted !== '*' && run.head_branch !== trusted) {
            passedOver.push({
                ...base,
                reason: `uploaded by a run on branch '${run.head_branch}', not '${trusted}' (set 'run-branch' to trust it)`
            });
        }
        else
            candidates.push({
                id: a.id ?? 0,
                runId: run.id,
                createdAt: a.created_at ?? '',
                branch: run.head_branch ?? ''
            });
    }
    return { candidates, passedOver, branch: trusted };
}
/**
 * Downloads a backup artifact into `path` (a fresh folder) and checks the zip's SHA-256 against the
 * digest GitHub recorded at upload. An artifact without a recorded digest is refused: we could not
 * tell a replaced one from the original.
 */
async function downloadBackup(source, path) {
    const client = await artifactClient();
    let findBy;
    let runId;
    if (source.kind === 'run') {
        const [repositoryOwner, repositoryName] = source.repository.split('/');
        runId = source.runId;
        findBy = { token: source.token, workflowRunId: runId, repositoryOwner, repositoryName };
    }
    const where = runId === undefined ? 'this run' : `run ${runId}`;
    const { artifact } = await client.getArtifact(source.name, findBy ? { findBy } : {});
    if (!artifact.digest) {
        throw new Error(`artifact '${source.name}' (id ${artifact.id}, ${where}) has no recorded digest, so it cannot be verified`);
    }
    const result = await client.downloadArtifact(artifact.id, {
        path,
        expectedHash: artifact.digest,
        ...(findBy && { findBy })
    });
    if (result.digestMismatch) {
        throw new Error(`artifact '${source.name}' (id ${artifact.id}, ${where}) does not match the digest recorded at upload (${artifact.digest}); refusing to restore from it`);
    }
    return { id: artifact.id, digest: artifact.digest, ...(runId !== undefined && { runId }) };
}

;// CONCATENATED MODULE: ./src/core/queue.ts
/**
 * A bounded hand-off between producers (listings, page by page) and workers: `push` waits while the
 * queue is over its high-water mark, so a fast listing cannot run thousands of items ahead of the
 * work and memory stays flat; `take` waits for an item and returns undefined once the queue is
 * closed and drained.
 */
class WorkQueue {
    highWater;
    items = [];
    closed = false;
    takers = [];
    pushers = [];
    constructor(highWater) {
        this.highWater = highWater;
    }
    /** Adds a batch (a page), first waiting until the queue is below its high-water mark. */
    async push(batch) {
        while (this.items.length >= this.highWater && !this.closed) {
            await new Promise(resolve => this.pushers.push(resolve));
        }
        this.items.push(...batch);
        this.wakeAll('takers');
    }
    /** The next item, or undefined when the queue is closed and empty. */
    async take() {
        for (;;) {
            if (this.items.length > 0) {
                const item = this.items.shift();
                if (this.items.length < this.highWater)
                    this.wakeAll('pushers');
                return item;
            }
            if (this.closed)
                return undefined;
            await new Promise(resolve => this.takers.push(resolve));
        }
    }
    /** No more pushes: waiting takers drain what is left, then get undefined. */
    close() {
        this.closed = true;
        this.wakeAll('takers');
        this.wakeAll('pushers');
    }
    // Woken callers re-check their condition, so waking all is safe.
    wakeAll(which) {
        const waiting = this[which];
        this[which] = [];
        for (const wake of waiting)
            wake();
    }
}
/** Runs `work` over `items` with at most `limit` at once; results in order. */
async function mapLimited(items, limit, work) {
    const results = new Array(items.length);
    let next = 0;
    const worker = async () => {
        for (let i = next++; i < items.length; i = next++)
            results[i] = await work(items[i], i);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    return results;
}

;// CONCATENATED MODULE: ./src/core/glob.ts
/**
 * Compiles a name glob (`*` any run of characters, `?` one character) into a matcher. Key Vault
 * names are case-insensitive, so matching is too.
 */
function compileGlob(pattern) {
    const source = pattern
        .split('')
        .map(ch => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
        .join('');
    const regex = new RegExp(`^${source}$`, 'is');
    return name => regex.test(name);
}

;// CONCATENATED MODULE: ./src/core/selection.ts

/**
 * Splits listed items into those to back up (or restore) and those skipped, each with a reason.
 * Certificate-owned keys and secrets come first: Key Vault refuses to back them up on their own and
 * the certificate's blob already holds them.
 */
function selectItems(items, filter) {
    const include = filter.include.map(compileGlob);
    const exclude = filter.exclude.map(compileGlob);
    const tags = filter.tags.map(tag => ({ key: tag.key, matches: compileGlob(tag.value) }));
    const selection = { selected: [], skipped: [] };
    for (const item of items) {
        const reason = skipReason(item);
        if (reason)
            selection.skipped.push({ type: item.type, name: item.name, reason });
        else
            selection.selected.push(item);
    }
    return selection;
    function skipReason(item) {
        if (!filter.types.includes(item.type))
            return `type '${item.type}' not selected`;
        if (item.managed) {
            const note = filter.types.includes('certificates') ? '' : ' (select certificates to back it up)';
            return `owned by certificate '${item.name}': covered by the certificate's backup${note}`;
        }
        if (include.length > 0 && !include.some(match => match(item.name)))
            return 'not matched by include';
        if (exclude.some(match => match(item.name)))
            return 'matched by exclude';
        for (const tag of tags) {
            const value = findTag(item.tags, tag.key);
            if (value === undefined || !tag.matches(value))
                return `tag '${tag.key}' does not match`;
        }
        if (filter.skipDisabled && !item.enabled)
            return 'disabled (skip-disabled)';
        return undefined;
    }
}
// Tag keys are matched exactly first, then case-insensitively, as the portal treats them.
function findTag(tags, key) {
    if (key in tags)
        return tags[key];
    const lower = key.toLowerCase();
    const found = Object.keys(tags).find(k => k.toLowerCase() === lower);
    return found === undefined ? undefined : tags[found];
}

;// CONCATENATED MODULE: ./src/core/versions.ts
/** Key Vault backs up at most this many versions of one object. */
const MAX_BACKUP_VERSIONS = 500;
/** From here on we warn: the object is close to becoming impossible to back up. */
const WARN_BACKUP_VERSIONS = 400;
/** Judges an object's version count against the backup limit, with the way out when it fails. */
function checkVersionLimit(type, name, count) {
    const what = `${singular(type)} '${name}' has ${count} versions`;
    if (count > MAX_BACKUP_VERSIONS) {
        return {
            level: 'fail',
            message: `${what}; Key Vault backs up at most ${MAX_BACKUP_VERSIONS} versions of one object and old versions ` +
                `cannot be deleted. Way out: create a new ${singular(type)} with the current value under a new name, ` +
                `move its users over, then add '${name}' to 'exclude'.`
        };
    }
    if (count >= WARN_BACKUP_VERSIONS) {
        return {
            level: 'warn',
            message: `${what}; at more than ${MAX_BACKUP_VERSIONS} it can no longer be backed up. Plan a rename before then.`
        };
    }
    return { level: 'ok' };
}
/** `secrets` -> `secret`, for messages. */
function singular(type) {
    return type.slice(0, -1);
}

;// CONCATENATED MODULE: ./src/core/backup.ts





// Items listed but not yet started. Enough to keep every worker busy while the next pages arrive,
// small enough that memory does not grow with the vault.
const QUEUE_HIGH_WATER = 200;
/**
 * Backs up the selected items. The selected types are listed concurrently, page by page (each page
 * one retryable call), and each page's selected items go straight to the workers, so backups start
 * while listing continues. Per item: list its versions (the 500 limit), back up, hand the blob to the
 * sink. Every item gets exactly one outcome; failures never stop the others. A dry run stops after
 * counting versions.
 */
async function runBackup(deps, request) {
    const explain = deps.explain;
    const result = { outcomes: [], items: [], listingFailures: [] };
    const queue = new WorkQueue(QUEUE_HIGH_WATER);
    let listed = 0;
    let selected = 0;
    const listType = async (type) => {
        try {
            await forEachPage(deps.rate, token => deps.vault.listItems(type, token), async (page) => {
                listed += page.length;
                const selection = selectItems(page, request.filter);
                for (const skipped of selection.skipped)
                    result.outcomes.push({ ...skipped, status: 'skipped' });
                selected += selection.selected.length;
                deps.progress?.setTotal(selected);
                await queue.push(selection.selected);
            }, { ahead: true });
        }
        catch (error) {
            // Items of the pages read so far are backed up; the type is recorded as incomplete.
            const reason = `listing ${type} failed: ${explain(error, type, 'list')}`;
            deps.log.warning(reason);
            result.listingFailures.push({ type, reason });
        }
    };
    const listing = Promise.all(request.filter.types.map(listType)).then(() => {
        queue.close();
        deps.log.info(`${request.dryRun ? 'Dry run: would back up' : 'Backing up'} ${selected} of ${listed} listed items`);
    });
    // Workers pull from one queue; the rate controller decides how many calls are in flight.
    const worker = async () => {
        for (let item = await queue.take(); item; item = await queue.take()) {
            const outcome = await backupItem(deps, item, request.dryRun, explain, result.items);
            result.outcomes.push(outcome);
            deps.progress?.record(outcome.status);
            deps.progress?.maybeReport();
        }
    };
    const workers = Math.max(1, deps.rate.concurrency);
    await Promise.all([listing, ...Array.from({ length: workers }, worker)]);
    deps.progress?.maybeReport(true);
    return result;
}
async function backupItem(deps, item, dryRun, explain, written) {
    const base = { type: item.type, name: item.name };
    let versionIds;
    try {
        versionIds = await readAllPages(deps.rate, token => deps.vault.listVersionIds(item.type, item.name, token));
    }
    catch (error) {
        return {
            ...base,
            status: 'failed',
            reason: `listing versions failed: ${explain(error, item.type, 'list')}`
        };
    }
    const versionCount = versionIds.length;
    const check = checkVersionLimit(item.type, item.name, versionCount);
    if (check.level === 'fail')
        return { ...base, status: 'failed', reason: check.message, versionCount };
    const warning = check.level === 'warn' ? check.message : undefined;
    if (warning)
        deps.log.warning(warning);
    if (dryRun || !deps.sink) {
        deps.log.info(`Would back up ${singular(item.type)} '${item.name}' (${versionCount} versions)`);
        return { ...base, status: 'planned', versionCount, ...(warning && { warning }) };
    }
    const sink = deps.sink;
    try {
        const file = blobFile(item.type, item.name);
        const bytes = await deps.rate.run(() => deps.vault.backup(item.type, item.name));
        const blob = await sink.writeBlob(file, bytes);
        written.push(manifestItem(item, { file, ...blob }, versionCount, versionIds));
        deps.log.debug(`Backed up ${singular(item.type)} '${item.name}' (${versionCount} versions, ${blob.size} bytes)`);
        return { ...base, status: 'backed-up', versionCount, file, size: blob.size, ...(warning && { warning }) };
    }
    catch (error) {
        return {
            ...base,
            status: 'failed',
            reason: `backup failed: ${explain(error, item.type, 'backup')}`,
            versionCount
        };
    }
}

;// CONCATENATED MODULE: ./src/core/geography.ts
/**
 * Azure's published geographies (Microsoft Learn, "Azure regions list"): the boundary inside which
 * a Key Vault backup blob restores, together with the subscription. Keyed by the programmatic
 * region name, as `x-ms-keyvault-region` and Resource Manager's `location` give it.
 */
const GEOGRAPHIES = {
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
};
const BY_REGION = new Map(Object.entries(GEOGRAPHIES).flatMap(([geography, regions]) => regions.map(r => [r, geography])));
/** The geography of a region ('West Europe', 'westeurope' alike), or undefined for a region not in the table. */
function geographyOf(location) {
    return location ? BY_REGION.get(location.toLowerCase().replace(/[\s-]/g, '')) : undefined;
}

;// CONCATENATED MODULE: ./src/core/progress.ts
/**
 * Logs a progress line at most every `intervalMs`: counts so far and the item rate. The clock is
 * injected; callers invoke `maybeReport` after each item and from a timer.
 */
class ProgressReporter {
    clock;
    log;
    intervalMs;
    concurrency;
    started;
    lastReport;
    total;
    counts = {
        'backed-up': 0,
        planned: 0,
        skipped: 0,
        failed: 0
    };
    constructor(clock, log, intervalMs = 5000, concurrency = () => 0) {
        this.clock = clock;
        this.log = log;
        this.intervalMs = intervalMs;
        this.concurrency = concurrency;
        this.started = clock.now();
        this.lastReport = this.started;
    }
    /** Sets how many items are to be processed. */
    setTotal(total) {
        this.total = total;
    }
    /** Counts one finished item. */
    record(status) {
        this.counts[status]++;
    }
    /** Logs a line when the interval has passed; `force` logs now (at the end). */
    maybeReport(force = false) {
        const now = this.clock.now();
        // Nothing to count while the vault is still being listed.
        if (!this.total || (!force && now - this.lastReport < this.intervalMs))
            return;
        this.lastReport = now;
        this.log.info(this.line(now));
    }
    /** The progress line for the given time. */
    line(now) {
        const done = this.counts['backed-up'] + this.counts.planned + this.counts.failed;
        const seconds = Math.max(0.001, (now - this.started) / 1000);
        const parts = [
            `${done}/${this.total ?? 0} items`,
            `${this.counts['backed-up']} backed up`,
            ...(this.counts.planned ? [`${this.counts.planned} planned`] : []),
            `${this.counts.failed} failed`,
            `${(done / seconds).toFixed(1)} items/s`,
            `concurrency ${this.concurrency()}`
        ];
        return `Progress: ${parts.join(', ')}`;
    }
}

;// CONCATENATED MODULE: ./src/core/outcomes.ts

const emptyCounts = () => ({ 'backed-up': 0, planned: 0, skipped: 0, failed: 0 });
/** Counts outcomes overall and per type, for outputs and the summary. */
function tallyOutcomes(outcomes) {
    const byType = Object.fromEntries(ITEM_TYPES.map(type => [type, emptyCounts()]));
    const totals = { ...emptyCounts(), byType };
    for (const outcome of outcomes) {
        totals[outcome.status]++;
        byType[outcome.type][outcome.status]++;
    }
    return totals;
}

;// CONCATENATED MODULE: ./src/core/report.ts


/** Rows shown in a summary table; the rest are counted, keeping the summary far below GitHub's 1 MiB cap. */
const SUMMARY_ITEM_LIMIT = 200;
/**
 * One message for failed items, one line per distinct reason: a permission missing on a whole
 * vault reads as one line naming the items it affected, not as fifty copies of the same text.
 * Undefined when nothing failed.
 */
function failureMessage(failed, total, what, shownReasons = 5, shownNames = 5) {
    if (failed.length === 0)
        return undefined;
    return `${failed.length} of ${total} items ${what}:\n${failureLines(failed, shownReasons, shownNames)}`;
}
/** The lines of a failure message under its headline: one per distinct reason, naming the items. */
function failureLines(failed, shownReasons = 5, shownNames = 5) {
    const byReason = new Map();
    for (const item of failed) {
        const reason = item.reason ?? 'failed';
        byReason.set(reason, [...(byReason.get(reason) ?? []), item]);
    }
    const lines = [...byReason.entries()].slice(0, shownReasons).map(([reason, items]) => {
        const names = items.slice(0, shownNames).map(i => i.label ?? `${singular(i.type)} '${escapeLog(i.name)}'`);
        const more = items.length > shownNames ? ` and ${items.length - shownNames} more` : '';
        return `${names.join(', ')}${more}: ${escapeLog(reason)}`;
    });
    const hidden = byReason.size - shownReasons;
    const tail = hidden > 0 ? `\n…and ${hidden} other reasons (see the job summary)` : '';
    return `${lines.join('\n')}${tail}`;
}
/** A Markdown table of failures: type, name, reason, cut off at `limit` rows. */
function failureTable(failed, limit = SUMMARY_ITEM_LIMIT) {
    if (failed.length === 0)
        return [];
    const lines = ['| Type | Name | Reason |', '| --- | --- | --- |'];
    for (const o of failed.slice(0, limit)) {
        lines.push(`| ${o.type} | ${escapeMarkdown(o.name)} | ${escapeMarkdown(o.reason ?? '')} |`);
    }
    if (failed.length > limit)
        lines.push('', `…and ${failed.length - limit} more failures (see the log).`);
    return [...lines, ''];
}

;// CONCATENATED MODULE: ./src/operations/backup/summary.ts





/** A new, empty report for the vaults of a step. */
function newBackupReport(vaults, dryRun) {
    return {
        dryRun,
        vaults: vaults.map(vault => ({
            vault: { url: vault.url, name: vault.name },
            dryRun,
            outcomes: [],
            items: [],
            listingFailures: []
        }))
    };
}
/** One vault's figures, as the `results` output lists them. */
function vaultFigures(v) {
    const totals = tallyOutcomes(v.outcomes);
    return {
        vault: v.vault.name,
        url: v.vault.url,
        complete: v.complete ?? false,
        backedUp: totals['backed-up'],
        skipped: totals.skipped,
        // A vault that could not be backed up at all counts once, as a failed listing does.
        failed: totals.failed + v.listingFailures.length + (v.fatal ? 1 : 0),
        ...(v.artifact && {
            artifactId: v.artifact.id,
            artifactUrl: v.artifact.url,
            artifactDigest: v.artifact.digest
        }),
        ...(v.manifestSha256 && { manifestSha256: v.manifestSha256 }),
        ...(v.backupPath && { backupPath: v.backupPath }),
        ...(v.fatal && { error: v.fatal })
    };
}
/**
 * The action's outputs (all strings, as the runner stores them). Counts add up every vault; the
 * artifact, folder and manifest outputs are the vault's when there is one, and `results` gives each
 * vault's figures as JSON.
 */
function backupOutputs(report) {
    const figures = report.vaults.map(vaultFigures);
    const sum = (key) => String(figures.reduce((n, f) => n + f[key], 0));
    const only = report.vaults.length === 1 ? report.vaults[0] : undefined;
    // A vault that could not be backed up makes the step's backup incomplete.
    const lost = report.vaults.some(v => v.fatal);
    const known = lost || report.vaults.every(v => v.complete !== undefined);
    return {
        [Outputs.ArtifactId]: only?.artifact?.id.toString() ?? '',
        [Outputs.ArtifactUrl]: only?.artifact?.url ?? '',
        [Outputs.ArtifactDigest]: only?.artifact?.digest ?? '',
        [Outputs.BackupPath]: only?.backupPath ?? '',
        [Outputs.ManifestSha256]: only?.manifestSha256 ?? '',
        [Outputs.Complete]: known ? String(!lost && report.vaults.every(v => v.complete)) : '',
        [Outputs.BackedUp]: sum('backedUp'),
        [Outputs.Skipped]: sum('skipped'),
        [Outputs.Failed]: sum('failed'),
        [Outputs.Results]: JSON.stringify(figures)
    };
}
/** The failed items and listings (and, with several vaults, the vaults that failed) in one message. */
function backupFailures(report) {
    const several = report.vaults.length > 1;
    const where = (v) => (several ? ` in vault '${escapeLog(v.vault.name)}'` : '');
    const failed = report.vaults.flatMap(v => [
        ...(several && v.fatal
            ? [
                {
                    type: 'secrets',
                    name: v.vault.name,
                    reason: v.fatal,
                    label: `vault '${escapeLog(v.vault.name)}'`
                }
            ]
            : []),
        ...v.listingFailures.map(f => ({
            type: f.type,
            name: '',
            reason: f.reason,
            label: `the ${f.type} listing${where(v)}`
        })),
        ...v.outcomes
            .filter(o => o.status === 'failed')
            .map(o => ({ ...o, label: `${o.type.slice(0, -1)} '${escapeLog(o.name)}'${where(v)}` }))
    ]);
    if (!several) {
        const v = report.vaults[0];
        return failureMessage(failed, v.outcomes.filter(o => o.status !== 'skipped').length + v.listingFailures.length, 'failed');
    }
    if (failed.length === 0)
        return undefined;
    // Several vaults: how many vaults could not be backed up at all, then how many items failed.
    const lost = report.vaults.filter(v => v.fatal).length;
    const itemFailures = failed.length - lost;
    const items = report.vaults.reduce((n, v) => n + v.outcomes.filter(o => o.status !== 'skipped').length + v.listingFailures.length, 0);
    const headline = [
        ...(lost > 0 ? [`${lost} of ${report.vaults.length} vaults could not be backed up`] : []),
        ...(itemFailures > 0 ? [`${itemFailures} of ${items} items failed`] : [])
    ].join('; ');
    return `${headline}:\n${failureLines(failed)}`;
}
/** The job summary: with one vault, its details; with several, a row per vault, then the failures. */
function renderBackupSummary(report, limit = SUMMARY_ITEM_LIMIT) {
    if (report.vaults.length === 1)
        return renderVault({ ...report.vaults[0], fatal: report.fatal ?? report.vaults[0].fatal }, limit);
    const lines = [
        `## Key Vault backup of ${report.vaults.length} vaults${report.dryRun ? ' (dry run)' : ''}`,
        ''
    ];
    if (report.fatal)
        lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '');
    lines.push('| Vault | Backed up | Skipped | Failed | Complete | Artifact |', '| --- | ---: | ---: | ---: | --- | --- |');
    for (const v of report.vaults) {
        const f = vaultFigures(v);
        const state = v.fatal
            ? `**failed**: ${escapeMarkdown(v.fatal)}`
            : v.complete === undefined
                ? ''
                : v.complete
                    ? 'yes'
                    : '**no**';
        const artifact = v.artifact ? `[${escapeMarkdown(v.artifact.name)}](${encodeURI(v.artifact.url)})` : '';
        lines.push(`| ${escapeMarkdown(v.vault.name)} | ${f.backedUp} | ${f.skipped} | ${f.failed} | ${state} | ${artifact} |`);
    }
    lines.push('');
    const failed = report.vaults.flatMap(v => [
        ...v.listingFailures.map(l => ({ type: l.type, name: `${v.vault.name}/(listing)`, reason: l.reason })),
        ...v.outcomes.filter(o => o.status === 'failed').map(o => ({ ...o, name: `${v.vault.name}/${o.name}` }))
    ]);
    if (failed.length > 0)
        lines.push('### Failures', '', ...failureTable(failed, limit));
    return lines.join('\n');
}
/** One vault's summary: completeness first, totals per type, artifact, failures, items (cut off). */
function renderVault(report, limit) {
    const totals = tallyOutcomes(report.outcomes);
    const lines = [`## Key Vault backup${report.dryRun ? ' (dry run)' : ''}`, ''];
    lines.push(`Vault: \`${escapeMarkdown(report.vault.url)}\``, '');
    if (report.fatal)
        lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '');
    if (report.complete === false) {
        const what = [
            ...report.listingFailures.map(f => `${f.type} could not be listed completely`),
            ...(totals.failed > 0 ? [`${totals.failed} items failed`] : [])
        ];
        lines.push(`> **Incomplete backup:** ${escapeMarkdown(what.join('; '))}. ` +
            (report.notUploaded
                ? `Nothing was uploaded: ${escapeMarkdown(report.notUploaded)}`
                : 'The artifact holds what succeeded and is marked incomplete; a restore refuses it unless `allow-partial: true`.'), '');
    }
    const done = report.dryRun ? 'Would back up' : 'Backed up';
    lines.push(`| Type | ${done} | Skipped | Failed |`, '| --- | ---: | ---: | ---: |');
    for (const type of ITEM_TYPES) {
        const c = totals.byType[type];
        const listing = report.listingFailures.some(f => f.type === type) ? ' (listing failed)' : '';
        lines.push(`| ${type} | ${c['backed-up'] + c.planned} | ${c.skipped} | ${c.failed}${listing} |`);
    }
    lines.push(`| **total** | ${totals['backed-up'] + totals.planned} | ${totals.skipped} | ${totals.failed} |`, '');
    if (report.artifact) {
        const name = escapeMarkdown(report.artifact.name);
        lines.push(`Artifact: [${name}](${encodeURI(report.artifact.url)}) (id ${report.artifact.id}, digest \`${report.artifact.digest}\`)`, '');
    }
    if (report.manifestSha256)
        lines.push(`Manifest SHA-256: \`${report.manifestSha256}\``, '');
    const failed = [
        ...report.listingFailures.map(f => ({ type: f.type, name: '(listing)', reason: f.reason })),
        ...report.outcomes.filter(o => o.status === 'failed')
    ];
    if (failed.length > 0)
        lines.push('### Failures', '', ...failureTable(failed, limit));
    const rows = report.outcomes.filter(o => o.status !== 'failed');
    if (rows.length > 0) {
        const byKey = new Map(report.items.map(i => [`${i.type}/${i.name}`, i]));
        lines.push('### Items', '', '| Type | Name | Status | Versions | Size | Content type | Tags |');
        lines.push('| --- | --- | --- | ---: | ---: | --- | --- |');
        for (const o of rows.slice(0, limit)) {
            const item = byKey.get(`${o.type}/${o.name}`);
            const status = o.status === 'skipped' ? `skipped: ${o.reason ?? ''}` : o.status;
            const tags = Object.entries(item?.tags ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(', ');
            lines.push(`| ${o.type} | ${escapeMarkdown(o.name)} | ${escapeMarkdown(status)} | ${o.versionCount ?? ''} | ` +
                `${o.size ?? ''} | ${escapeMarkdown(item?.contentType ?? '')} | ${escapeMarkdown(tags)} |`);
        }
        if (rows.length > limit)
            lines.push('', `…and ${rows.length - limit} more items not shown.`);
        lines.push('');
    }
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./src/operations/backup/job.ts












/** `operation: backup` (and `keyvault-backup backup`). */
const backupOperation = {
    name: 'backup',
    newReport: settings => newBackupReport(settings.targets.map(t => t.vault), settings.dryRun),
    run: backupVaults,
    outputs: backupOutputs,
    summary: report => renderBackupSummary(report),
    failures: backupFailures
};
/**
 * Backs up each vault of the step on its own (its own folder, manifest and artifact), one after
 * another or up to `vault-concurrency` at once. With one vault its failure is the step's; with
 * several, a vault that fails is recorded and the others go on.
 */
async function backupVaults(run, settings, report) {
    if (settings.targets.length === 1)
        return backupVault(run, settings, settings.targets[0], report.vaults[0]);
    await mapLimited(settings.targets, settings.vaultConcurrency, async (target, i) => {
        run.log.info(`Backing up vault ${i + 1} of ${settings.targets.length}: ${target.vault.url}`);
        try {
            await backupVault(run, settings, target, report.vaults[i]);
        }
        catch (error) {
            report.vaults[i].fatal = run.explainFatal(error);
            run.log.warning(`The backup of vault '${escapeLog(target.vault.name)}' failed: ${report.vaults[i].fatal}`);
        }
    });
}
/**
 * Backs up one vault: connect (sign in, first call), list and back up every selected item into
 * the folder, write the manifest (complete or not, and why; where the vault lives, when Resource
 * Manager lets the identity read it), upload the folder as an artifact. A backup that backed up
 * nothing and is incomplete writes and uploads nothing.
 */
async function backupVault(run, settings, target, report) {
    const connection = await run.connect(target.vault, settings.identity, {
        allow: ['list', 'backup'],
        firstType: settings.filter.types[0],
        concurrency: settings.concurrency
    });
    const progress = new ProgressReporter(run.clock, run.log, 5000, () => connection.rate.concurrency);
    const folder = settings.dryRun ? undefined : new BackupFolderWriter(target.path);
    // Where the vault lives, read beside the backup (Resource Manager is another host and token).
    const resource = settings.dryRun ? undefined : run.vaultResource(target.vault, settings.identity);
    const createdAt = new Date(run.clock.now()).toISOString();
    // A timer keeps the progress line coming while slow items are in flight.
    const timer = setInterval(() => progress.maybeReport(), 1000);
    timer.unref();
    let result;
    try {
        result = await runBackup({
            vault: new KeyVaultReader(connection.clients),
            sink: folder,
            rate: connection.rate,
            log: run.log,
            progress,
            explain: (error, type, operation) => connection.explain(error, { type, operation })
        }, settings);
    }
    finally {
        clearInterval(timer);
    }
    report.outcomes = result.outcomes;
    report.items = result.items;
    report.listingFailures = result.listingFailures;
    run.logRateControl(connection);
    if (!folder)
        return;
    const found = await resource;
    const region = 'resource' in found ? found.resource.location : connection.region();
    if ('unreadable' in found)
        run.log.info(`The vault's subscription is not recorded: ${found.unreadable}`);
    report.location = {
        ...('resource' in found && {
            subscriptionId: found.resource.subscriptionId,
            resourceGroup: found.resource.resourceGroup
        }),
        ...(region && { location: region }),
        ...(geographyOf(region) && { geography: geographyOf(region) })
    };
    const tenantId = 'resource' in found && found.resource.tenantId ? found.resource.tenantId : settings.identity.tenantId;
    const manifest = buildManifest({
        tool: { name: TOOL_NAME, version: TOOL_VERSION },
        createdAt,
        source: {
            vaultUrl: target.vault.url,
            vaultName: target.vault.name,
            cloud: settings.identity.cloud.name,
            ...(tenantId && { tenantId }),
            ...report.location
        },
        incompleteTypes: result.listingFailures,
        items: result.items,
        skipped: result.outcomes
            .filter(o => o.status === 'skipped')
            .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' })),
        failed: result.outcomes
            .filter(o => o.status === 'failed')
            .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' }))
    });
    report.complete = manifest.complete;
    if (result.items.length === 0 && !manifest.complete) {
        report.notUploaded = 'no item could be backed up';
        throw new StepError(`Nothing was backed up from vault '${escapeLog(target.vault.name)}', so no backup was written or uploaded.\n${backupFailures({ dryRun: false, vaults: [report] })}`);
    }
    const written = await folder.writeManifest(manifest);
    report.manifestSha256 = written.sha256;
    report.backupPath = target.path;
    if (!manifest.complete) {
        run.log.warning(`The backup of '${escapeLog(target.vault.name)}' is incomplete: it holds what succeeded and is marked incomplete, so a restore refuses it unless 'allow-partial: true'`);
    }
    if (settings.upload) {
        const name = target.artifactName;
        const artifact = await uploadBackup(target.path, folder.blobFiles(), { name, ...settings.upload });
        report.artifact = { name, ...artifact };
        run.log.info(`Uploaded artifact '${name}' (id ${artifact.id}, ${artifact.size} bytes): ${artifact.url}`);
    }
}

;// CONCATENATED MODULE: ./src/adapters/plan-file.ts



/**
 * The plan file behind a `plan-path` output: written before the first write, then rewritten as
 * outcomes arrive (at most once a second), so a killed run still leaves the plan and what it did.
 */
class PlanFile {
    path;
    document;
    clock;
    log;
    last = Number.NEGATIVE_INFINITY;
    chain = Promise.resolve();
    constructor(path, document, clock, log) {
        this.path = path;
        this.document = document;
        this.clock = clock;
        this.log = log;
    }
    /** Writes the plan as it stands, after any write in progress. */
    write() {
        this.last = this.clock.now();
        this.chain = this.chain.then(() => this.save());
        return this.chain;
    }
    /** Writes again if a second has passed since the last write. */
    soon() {
        if (this.clock.now() - this.last >= 1000)
            void this.write();
    }
    async save() {
        try {
            await (0,promises_.mkdir)((0,external_node_path_.dirname)(this.path), { recursive: true });
            await (0,promises_.writeFile)(this.path, `${JSON.stringify(this.document(), null, 2)}\n`);
        }
        catch (error) {
            this.log.warning(`Could not write the plan file: ${errorMessage(error)}`);
        }
    }
}

;// CONCATENATED MODULE: ./src/adapters/values.ts

const PFX = 'application/x-pkcs12';
const PEM = 'application/x-pem-file';
const seconds = (date) => date ? Math.floor(date.getTime() / 1000) : undefined;
function toVersion(p) {
    return {
        version: p.version ?? '',
        enabled: p.enabled !== false,
        ...(p.createdOn && { createdOn: seconds(p.createdOn) }),
        ...(p.contentType !== undefined && { contentType: p.contentType }),
        tags: { ...(p.tags ?? {}) },
        ...(p.notBefore && { notBefore: seconds(p.notBefore) }),
        ...(p.expiresOn && { expiresOn: seconds(p.expiresOn) }),
        ...(p.x509Thumbprint && { thumbprint: Buffer.from(p.x509Thumbprint).toString('hex') })
    };
}
/** A read answered 404 (nothing there) or 403 (a disabled version, or no permission to read). */
function isNotReadable(error) {
    const status = error?.statusCode;
    return status === 404 || status === 403;
}
/** Values of one vault, read (masked at once) or written, over the vault's SDK clients. */
class VaultValues {
    clients;
    mask;
    constructor(clients, 
    /** Registers a value as a secret of the log (each line of it too). */
    mask) {
        this.clients = clients;
        this.mask = mask;
    }
    /** One page of an object's versions with their properties (no value). */
    async versionPage(type, name, token) {
        const page = type === 'secrets'
            ? await readPage(s => this.clients.secrets.listPropertiesOfSecretVersions(name).byPage(s), token)
            : type === 'certificates'
                ? await readPage(s => this.clients.certificates.listPropertiesOfCertificateVersions(name).byPage(s), token)
                : await readPage(s => this.clients.keys.listPropertiesOfKeyVersions(name).byPage(s), token);
        return {
            items: page.items.map(toVersion),
            ...(page.continuationToken && { continuationToken: page.continuationToken })
        };
    }
    /** A secret version's value, masked before anything else sees it. */
    async secretValue(name, version) {
        const secret = await this.clients.secrets.getSecret(name, { version });
        const value = secret.value ?? '';
        this.mask(value);
        return value;
    }
    /** The secret's current version: its value (masked at once) and properties. */
    async latestSecret(name) {
        const secret = await this.clients.secrets.getSecret(name);
        const value = secret.value ?? '';
        this.mask(value);
        return { value, version: toVersion(secret.properties) };
    }
    /**
     * The secret's current version (value masked at once), or undefined when there is none to read:
     * 404 (no such secret) or 403 (its current version is disabled, or reading is not allowed).
     */
    async currentSecret(name) {
        try {
            return await this.latestSecret(name);
        }
        catch (error) {
            if (isNotReadable(error))
                return undefined;
            throw error;
        }
    }
    /** Writes one secret version with its content type, tags, enabled flag and dates; returns its version id. */
    async setSecret(name, version) {
        const written = await this.clients.secrets.setSecret(name, version.value, {
            ...(version.contentType !== undefined && { contentType: version.contentType }),
            tags: version.tags,
            enabled: version.enabled,
            ...(version.notBefore !== undefined && { notBefore: new Date(version.notBefore * 1000) }),
            ...(version.expiresOn !== undefined && { expiresOn: new Date(version.expiresOn * 1000) })
        });
        return written.properties.version;
    }
    /** A certificate's policy as copy carries it. */
    async certificatePolicy(name) {
        const p = await this.clients.certificates.getCertificatePolicy(name);
        return {
            copied: {
                ...(p.keyType && { keyType: p.keyType }),
                ...(p.keySize !== undefined && { keySize: p.keySize }),
                ...(p.keyCurveName && { keyCurveName: p.keyCurveName }),
                ...(p.exportable !== undefined && { exportable: p.exportable }),
                ...(p.reuseKey !== undefined && { reuseKey: p.reuseKey }),
                emailBeforeExpiry: (p.lifetimeActions ?? [])
                    .filter(a => a.action === 'EmailContacts')
                    .map(a => ({
                    ...(a.daysBeforeExpiry !== undefined && { daysBeforeExpiry: a.daysBeforeExpiry }),
                    ...(a.lifetimePercentage !== undefined && { lifetimePercentage: a.lifetimePercentage })
                }))
            },
            ...(p.issuerName && { issuerName: p.issuerName }),
            ...(p.contentType && { contentType: p.contentType })
        };
    }
    /**
     * A certificate version's backing secret (same name and version), masked at once. Its format
     * comes from the bytes, not the content type: the service reports the current policy's content
     * type for every version.
     */
    async certificateExport(name, version) {
        const value = await this.secretValue(name, version);
        const pem = value.includes('-----BEGIN');
        return {
            value,
            format: pem ? 'pem' : 'pfx',
            hasPrivateKey: pem ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) : true
        };
    }
    /** The certificate's current version (its properties and thumbprint), or undefined (404, 403). */
    async currentCertificate(name) {
        try {
            return toVersion((await this.clients.certificates.getCertificate(name)).properties);
        }
        catch (error) {
            if (isNotReadable(error))
                return undefined;
            throw error;
        }
    }
    /**
     * Imports one certificate version with the copied policy (issuer Unknown: the target may not
     * have the source's issuer), its enabled flag and tags. @azure/keyvault-certificates 4.10.3
     * spreads the options into the request and serializes only the generated model's fields
     * (`certificatePolicy`, `certificateAttributes`), dropping `policy` and `enabled`: both are passed
     * in that form as well, or the service would get no content type (and refuse a PEM).
     */
    async importCertificate(name, exported, policy, enabled, tags) {
        const contentType = exported.format === 'pem' ? PEM : PFX;
        const bytes = exported.format === 'pem' ? Buffer.from(exported.value, 'utf8') : Buffer.from(exported.value, 'base64');
        const generated = {
            keyProperties: {
                exportable: policy.exportable ?? true,
                keyType: policy.keyType,
                keySize: policy.keySize,
                reuseKey: policy.reuseKey,
                curve: policy.keyCurveName
            },
            secretProperties: { contentType },
            lifetimeActions: (policy.emailBeforeExpiry ?? []).map(trigger => ({
                trigger,
                action: { actionType: 'EmailContacts' }
            })),
            issuerParameters: { name: 'Unknown' }
        };
        const options = {
            policy: { contentType, issuerName: 'Unknown' },
            certificatePolicy: generated,
            certificateAttributes: { enabled },
            enabled,
            tags
        };
        const imported = await this.clients.certificates.importCertificate(name, bytes, options);
        return imported.properties.version;
    }
    /** The key's backup blob (held in memory, restored into a vault of the same security world). */
    async backupKey(name) {
        const blob = await this.clients.keys.backupKey(name);
        if (!blob?.length)
            throw new Error(`the vault returned an empty backup for key '${name}'`);
        return blob;
    }
    /** Restores a key's backup blob (the key keeps its name and versions). */
    async restoreKey(blob) {
        await this.clients.keys.restoreKeyBackup(blob);
    }
}

;// CONCATENATED MODULE: ./src/core/deleted-view.ts

/**
 * The soft-deleted objects of one type in a vault, read by listing the deleted collection: the
 * listing needs only the `list` permission, where a GET of one deleted item needs `get` (and, for a
 * secret, carries its value). Every question is answered by a listing that started after it was
 * asked (so a delete or purge the caller just made is seen); callers who ask while a listing is
 * under way share the next one, and one type is never listed twice at once, so many items waiting
 * for their deletes to show cost one listing per round, not one per item.
 */
class DeletedView {
    read;
    rate;
    /** Orders questions and listings: a listing answers the questions asked before it started. */
    sequence = 0;
    latest;
    inFlight;
    constructor(read, rate) {
        this.read = read;
        this.rate = rate;
    }
    /** The deleted entry of `name` (case-insensitive), from a listing started after this call. */
    async find(name) {
        return (await this.listing()).get(name.toLowerCase());
    }
    /** Every deleted entry, by lower-case name, from a listing started after this call. */
    async listing() {
        const asked = ++this.sequence;
        for (;;) {
            if (this.latest && this.latest.started > asked)
                return this.latest.names;
            if (!this.inFlight)
                break;
            if (this.inFlight.started > asked)
                return this.inFlight.names;
            await this.inFlight.names.catch(() => undefined);
        }
        const flight = { started: ++this.sequence, names: this.list() };
        this.inFlight = flight;
        try {
            const names = await flight.names;
            if (!this.latest || this.latest.started < flight.started)
                this.latest = { started: flight.started, names };
            return names;
        }
        finally {
            if (this.inFlight === flight)
                this.inFlight = undefined;
        }
    }
    async list() {
        const names = new Map();
        await forEachPage(this.rate, this.read, page => {
            for (const entry of page)
                names.set(entry.name.toLowerCase(), entry);
        });
        return names;
    }
}

;// CONCATENATED MODULE: ./src/core/plan.ts

const IF_EXISTS = ['skip', 'fail', 'replace'];
const IF_DELETED = ['fail', 'skip', 'recover', 'purge'];
/** A short label for the plan table. */
function stateLabel(state) {
    switch (state.kind) {
        case 'absent':
        case 'active':
            return state.kind;
        case 'deleted':
            return state.purgeProtected ? 'soft-deleted (purge protection)' : 'soft-deleted';
    }
}
/** Recovery levels without "Purgeable" mean purge protection: nothing can be purged before retention ends. */
function isPurgeProtected(recoveryLevel) {
    return recoveryLevel !== undefined && !/purgeable/i.test(recoveryLevel);
}
/** True when the target already holds exactly the versions the backup recorded (in any order). */
function sameVersions(item, versionIds) {
    if (!item.versionIds || item.versionIds.length !== versionIds.length)
        return false;
    const have = new Set(versionIds.map(v => v.toLowerCase()));
    return item.versionIds.every(v => have.has(v.toLowerCase()));
}
/** The day a name held under purge protection frees up, for messages. */
function freeOn(date) {
    return date ? `on ${date} (its scheduled purge date)` : 'when its retention period ends';
}
/**
 * Decides one item's action from the state of its name in the target and the two policies. Pure:
 * the table in the README and the unit tests is exactly this function. Restore only deletes or
 * purges when `replace` or `purge` says so, and never under purge protection.
 */
function decide(item, state, policy) {
    const what = `${singular(item.type)} '${item.name}'`;
    switch (state.kind) {
        case 'absent':
            return { action: 'restore', reason: 'the name is free' };
        case 'active': {
            if (sameVersions(item, state.versionIds)) {
                return { action: 'already-restored', reason: 'the target already holds the backup’s versions' };
            }
            if (policy.ifExists === 'skip')
                return { action: 'skip', reason: 'exists (if-exists: skip)' };
            if (policy.ifExists === 'fail') {
                return {
                    action: 'fail',
                    reason: `${what} already exists with other versions (if-exists: fail); use if-exists 'skip' or 'replace'`
                };
            }
            if (state.purgeProtected) {
                return {
                    action: 'fail',
                    reason: `${what} exists and the vault has purge protection: 'replace' would delete it and leave the ` +
                        `name unusable until the retention period ends, so it is refused. Delete or rename by hand, or use if-exists 'skip'`
                };
            }
            return { action: 'replace', reason: 'exists with other versions (if-exists: replace)' };
        }
        case 'deleted': {
            const protectedDate = state.purgeProtected ? state.scheduledPurgeDate : undefined;
            const isProtected = state.purgeProtected;
            switch (policy.ifDeleted) {
                case 'skip':
                    return { action: 'skip', reason: 'soft-deleted (if-deleted: skip)' };
                case 'recover':
                    return {
                        action: 'recover',
                        reason: 'soft-deleted (if-deleted: recover): recover it instead of restoring'
                    };
                case 'purge':
                    if (isProtected) {
                        return {
                            action: 'fail',
                            reason: `${what} is soft-deleted in a vault with purge protection, so it cannot be purged; ` +
                                `the name frees up ${freeOn(protectedDate)}. Use if-deleted 'recover' to bring it back now`
                        };
                    }
                    return { action: 'purge-and-restore', reason: 'soft-deleted (if-deleted: purge)' };
                case 'fail':
                    return {
                        action: 'fail',
                        reason: `${what} is soft-deleted, so its name cannot be reused (if-deleted: fail); use if-deleted ` +
                            (isProtected
                                ? `'recover' (purge protection: the name frees up ${freeOn(protectedDate)})`
                                : `'recover' or 'purge'`)
                    };
            }
        }
    }
}

;// CONCATENATED MODULE: ./src/core/wait.ts
/** The defaults for production: first check after 250 ms, then up to every 2 s, for at most 2 minutes. */
function defaultPollSettings(clock, sleep) {
    return { clock, sleep, timeoutMs: 120_000, intervalMs: 250, maxIntervalMs: 2000 };
}
/** Thrown when a bounded wait runs out. */
class WaitTimeoutError extends Error {
}
/**
 * Polls `check` until it returns a value other than undefined, sleeping between rounds with the
 * injected sleep, bounded by the injected clock. Throws `WaitTimeoutError` naming `what` on timeout.
 */
async function pollUntil(what, check, settings) {
    const deadline = settings.clock.now() + settings.timeoutMs;
    let interval = settings.intervalMs;
    for (;;) {
        const value = await check();
        if (value !== undefined)
            return value;
        if (settings.clock.now() >= deadline) {
            throw new WaitTimeoutError(`timed out after ${Math.round(settings.timeoutMs / 1000)} s waiting for ${what}`);
        }
        await settings.sleep(interval);
        interval = Math.min(settings.maxIntervalMs, Math.round(interval * 1.5));
    }
}

;// CONCATENATED MODULE: ./src/core/restore.ts









/** One deleted view per type, over the target's deleted listings. */
function deletedViews(vault, rate) {
    const view = (type) => new DeletedView(token => vault.listDeleted(type, token), rate);
    return { secrets: view('secrets'), keys: view('keys'), certificates: view('certificates') };
}
/** Thrown when the target refuses blobs from another subscription or geography: no item can succeed. */
class ForeignWorldError extends Error {
}
const isStatus = (error, status) => error?.statusCode === status;
/**
 * True for the service's refusal of a blob from another security world. Recognised by its text,
 * "Cannot decrypt backup blob.", whatever status and code carry it: no recording confirms them.
 */
function isForeignBlobError(error) {
    return /cannot decrypt (the )?backup blob/i.test(errorMessage(error));
}
/** Explains the "same subscription and geography" rule when the service cannot decrypt a blob. */
function foreignWorldMessage(sourceVault, targetVault) {
    // The source comes from the manifest: free text as far as the log is concerned.
    const [source, target] = [escapeLog(sourceVault), escapeLog(targetVault)];
    return (`The target vault ${target} refused the backup blobs ("Cannot decrypt backup blob."): a Key Vault ` +
        `backup restores only into a vault in the same Azure subscription AND the same Azure geography as the ` +
        `vault it came from (${source}). Vaults that qualify: any vault of that subscription whose region ` +
        `is in the same geography (for example West Europe and North Europe are both Europe). Another ` +
        `subscription, another geography or another tenant cannot read these blobs; nothing was restored. ` +
        `To bring these items there, use 'operation: copy' (values vault to vault).`);
}
/** An object's version ids and recovery level, page by page (each page retried on its own). */
async function readVersions(deps, type, name) {
    let recoveryLevel;
    const versionIds = await readAllPages(deps.rate, async (token) => {
        const page = await deps.vault.listVersions(type, name, token);
        recoveryLevel ??= page.recoveryLevel;
        return {
            items: page.versionIds,
            ...(page.continuationToken && { continuationToken: page.continuationToken })
        };
    });
    return { versionIds, ...(recoveryLevel && { recoveryLevel }) };
}
/** Reads where one item's name stands in the target now: its versions, else the deleted listing. */
async function inspectTarget(deps, item) {
    const active = await readVersions(deps, item.type, item.name);
    if (active.versionIds.length > 0) {
        return {
            kind: 'active',
            versionIds: active.versionIds,
            purgeProtected: isPurgeProtected(active.recoveryLevel)
        };
    }
    const deleted = await deps.deleted[item.type].find(item.name);
    return deleted ? deletedState(deleted) : { kind: 'absent' };
}
function deletedState(deleted) {
    return {
        kind: 'deleted',
        purgeProtected: isPurgeProtected(deleted.recoveryLevel),
        ...(deleted.scheduledPurgeDate && { scheduledPurgeDate: deleted.scheduledPurgeDate })
    };
}
/** Inspects every item and decides its action: the plan, made before anything is written. */
async function planRestore(deps, items, policy) {
    const states = new Array(items.length);
    await Promise.all(ITEM_TYPES.map(type => inspectType(deps, items, type, states)));
    const entries = items.map((item, i) => ({
        type: item.type,
        name: item.name,
        state: stateLabel(states[i]),
        decision: decide(item, states[i], policy)
    }));
    return { entries, states };
}
/**
 * Fills `states` for the items of one type. The type's active objects are listed (one call per
 * page of 25 tells about every name it does not hold) and only names found active are read one by
 * one (their version ids, which a listing does not give). A listing that needs more pages than the
 * items it informs (a big target, a small restore) is abandoned for reading each item's versions.
 * Names not active are looked up in the deleted listing.
 */
async function inspectType(deps, items, type, states) {
    const indexes = items.flatMap((item, i) => (item.type === type ? [i] : []));
    if (indexes.length === 0)
        return;
    // The deleted listing runs beside the active one (a failure surfaces where it is awaited).
    const deletedListing = deps.deleted[type].listing();
    deletedListing.catch(() => undefined);
    const key = (i) => items[i].name.toLowerCase();
    const active = await findNames(deps.rate, t => deps.vault.listActive(type, t), indexes.map(key));
    const toRead = active ? indexes.filter(i => active.has(key(i))) : indexes;
    const versions = await Promise.all(toRead.map(i => readVersions(deps, type, items[i].name)));
    const found = new Map(toRead.map((i, n) => [i, versions[n]]));
    const deleted = await deletedListing;
    for (const i of indexes) {
        const read = found.get(i);
        if (read && read.versionIds.length > 0) {
            states[i] = {
                kind: 'active',
                versionIds: read.versionIds,
                purgeProtected: isPurgeProtected(read.recoveryLevel)
            };
            continue;
        }
        const entry = deleted.get(key(i));
        states[i] = entry ? deletedState(entry) : { kind: 'absent' };
    }
}
/** Certificates first: their blobs also bring back the key and secret they own. */
function executionGroups(items) {
    const certificates = [];
    const others = [];
    items.forEach((item, i) => (item.type === 'certificates' ? certificates : others).push(i));
    return [certificates, others];
}
/**
 * Executes a plan: certificates before keys and secrets, bounded parallelism through the rate
 * controller, polling through the service's asynchronous windows. One outcome per item, in the
 * plan's order. A blob from another security world stops the run (every other item would fail
 * the same way) and throws `ForeignWorldError` after the outcomes are filled in.
 */
async function executeRestore(deps, items, plan, policy) {
    const outcomes = new Array(items.length);
    let foreign;
    for (const group of executionGroups(items)) {
        const queue = [...group];
        const worker = async () => {
            for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
                if (foreign)
                    break;
                try {
                    outcomes[i] = await restoreOne(deps, items[i], plan[i], policy);
                }
                catch (error) {
                    if (error instanceof ForeignWorldError)
                        foreign = error.message;
                    outcomes[i] = { ...plan[i], status: 'failed', reason: errorMessage(error) };
                }
                deps.log.info(outcomeLine(outcomes[i]));
                deps.onOutcome?.(i, outcomes[i]);
            }
        };
        const workers = Math.max(1, Math.min(queue.length, deps.rate.concurrency));
        await Promise.all(Array.from({ length: workers }, worker));
    }
    // Items left when a foreign blob stopped the run are holes in `outcomes`: fill every index.
    const result = Array.from({ length: items.length }, (_, i) => outcomes[i] ?? {
        ...plan[i],
        status: 'failed',
        reason: 'not attempted: the target cannot read these blobs'
    });
    if (foreign)
        throw Object.assign(new ForeignWorldError(foreign), { outcomes: result });
    return result;
}
function outcomeLine(o) {
    return `${singular(o.type)} '${escapeLog(o.name)}': ${o.status}${o.reason ? ` (${escapeLog(o.reason)})` : ''}`;
}
async function restoreOne(deps, item, entry, policy) {
    let row = entry;
    const act = async (op, call) => {
        try {
            await deps.rate.run(call);
        }
        catch (error) {
            throw new Error(`${op} failed: ${describeVaultError(error, item.type, op)}`);
        }
    };
    // Each round follows one decision; a name that turned out busy (409) leads to one new decision.
    for (let round = 0; round < 4; round++) {
        const action = row.decision.action;
        switch (action) {
            case 'skip':
                return { ...row, status: 'skipped', reason: row.decision.reason };
            case 'already-restored':
                return { ...row, status: 'skipped', reason: 'already restored (same versions): nothing to do' };
            case 'fail':
                return { ...row, status: 'failed', reason: row.decision.reason };
            case 'recover':
                await act('recover', () => deps.vault.startRecover(item.type, item.name));
                await waitForActive(deps, item);
                return { ...row, status: 'recovered' };
            case 'replace':
                await act('delete', () => deps.vault.startDelete(item.type, item.name));
                await waitForDeleted(deps, item);
                await act('purge', () => deps.vault.purge(item.type, item.name));
                break;
            case 'purge-and-restore':
                await act('purge', () => deps.vault.purge(item.type, item.name));
                break;
            case 'restore':
                break;
        }
        const attempt = await restoreWithRetry(deps, item);
        if ('done' in attempt) {
            return attempt.done === 'restored'
                ? { ...row, status: 'restored' }
                : { ...row, status: 'skipped', reason: 'already restored (same versions): nothing to do' };
        }
        const state = attempt.redecide;
        row = {
            ...row,
            state: attempt.beingDeleted ? 'being deleted' : stateLabel(state),
            decision: decide(item, state, policy)
        };
        deps.log.info(`${singular(item.type)} '${escapeLog(item.name)}': found ${row.state} when restoring; new decision: ${row.decision.action}`);
    }
    return { ...row, status: 'failed', reason: 'the name kept changing state during the restore' };
}
/**
 * Restores the blob, riding out a name that is still taken for a few seconds (just purged, being
 * deleted, being recovered): on 409 it reads the state again; while the name looks free it waits and
 * retries; once it finds an object (active or soft-deleted) it returns that state for a new decision.
 */
async function restoreWithRetry(deps, item) {
    const blob = await deps.readBlob(item);
    let beingDeleted = false;
    return pollUntil(`the name of ${singular(item.type)} '${item.name}' to become free`, async () => {
        try {
            await deps.rate.run(() => deps.vault.restore(item.type, blob));
            return { done: 'restored' };
        }
        catch (error) {
            if (isForeignBlobError(error)) {
                throw new ForeignWorldError(foreignWorldMessage(deps.sourceVault, deps.targetVault));
            }
            if (!isStatus(error, 409))
                throw new Error(`restore failed: ${describeVaultError(error, item.type, 'restore')}`);
            if (/being deleted/i.test(errorMessage(error)))
                beingDeleted = true;
        }
        const state = await inspectTarget(deps, item);
        if (state.kind === 'absent')
            return undefined;
        if (state.kind === 'active' && sameVersions(item, state.versionIds))
            return { done: 'already-restored' };
        return { redecide: state, beingDeleted };
    }, deps.poll);
}
/** Waits until the deleted listing shows the item (one shared listing per round for all waiters). */
async function waitForDeleted(deps, item) {
    await pollUntil(`the deleted ${singular(item.type)} '${item.name}' to appear in the deleted view`, async () => ((await deps.deleted[item.type].find(item.name)) ? true : undefined), deps.poll);
}
async function waitForActive(deps, item) {
    await pollUntil(`${singular(item.type)} '${item.name}' to finish recovering`, async () => {
        const { versionIds } = await readVersions(deps, item.type, item.name);
        return versionIds.length > 0 ? true : undefined;
    }, deps.poll);
}
/**
 * Verify after: each restored item must exist with the manifest's version count (and ids, when
 * recorded); a recovered item must exist. A mismatch turns the outcome into a failure. Returns how
 * many items it checked and how many of them failed.
 */
async function verifyRestored(deps, items, outcomes) {
    const result = { checked: 0, failed: 0 };
    await Promise.all(outcomes.map(async (o, i) => {
        if (o.status !== 'restored' && o.status !== 'recovered')
            return;
        result.checked++;
        const item = items[i];
        try {
            const { versionIds } = await readVersions(deps, item.type, item.name);
            if (versionIds.length === 0)
                o.reason = 'verify: not found after restore';
            else if (o.status === 'restored' && versionIds.length !== item.versionCount) {
                o.reason = `verify: ${versionIds.length} versions found, the manifest records ${item.versionCount}`;
            }
            else if (o.status === 'restored' && item.versionIds && !sameVersions(item, versionIds)) {
                o.reason = 'verify: the version ids differ from the manifest';
            }
            else
                return;
        }
        catch (error) {
            o.reason = `verify: ${describeVaultError(error, item.type, 'list')}`;
        }
        o.status = 'failed';
        result.failed++;
    }));
    return result;
}

;// CONCATENATED MODULE: ./src/core/copy.ts


const COPY_IF_EXISTS = ['skip', 'update', 'fail', 'replace'];
const COPY_IF_DELETED = ['fail', 'skip', 'recover', 'purge'];
/** The label of a state for the plan. */
function copyStateLabel(found) {
    switch (found.kind) {
        case 'absent':
            return 'absent';
        case 'active':
            return found.missing === 0 ? 'equal' : 'different';
        case 'deleted':
            return found.purgeProtected ? 'soft-deleted (purge protection)' : 'soft-deleted';
        case 'certificate-owned':
            return 'owned by a certificate';
    }
}
/**
 * How many of the source's versions (oldest first) the target must still be given: the largest k
 * such that the target's newest k versions are the source's first k, gives `source.length - k`.
 * Zero means the target is equal: its newest versions are the source's, in order (older versions
 * of its own before them do not matter). Writing the missing ones makes it equal, so a second run
 * writes nothing.
 */
function versionsMissing(source, target, same) {
    for (let k = Math.min(source.length, target.length); k > 0; k--) {
        let matches = true;
        for (let i = 0; i < k && matches; i++)
            matches = same(source[i], target[target.length - k + i]);
        if (matches)
            return source.length - k;
    }
    return source.length;
}
/** The day a name held under purge protection frees up, for messages. */
function copy_freeOn(date) {
    return date ? `on ${date} (its scheduled purge date)` : 'when its retention period ends';
}
/**
 * Decides one item of a copy from what the target holds and the two policies. Pure: the README's
 * table and the unit tests are exactly this function. An item equal to the source is never
 * rewritten, whatever the policy; nothing is deleted or purged unless `replace` or `purge` says so,
 * and never under purge protection. A key can only be restored from its backup, not updated.
 */
function decideCopy(type, name, found, policy) {
    const what = `${singular(type)} '${name}'`;
    switch (found.kind) {
        case 'absent':
            return { action: 'create', reason: 'the name is free' };
        case 'certificate-owned':
            return {
                action: 'fail',
                reason: `the target name belongs to a certificate's own ${singular(type)}; rename the item (rename input)`
            };
        case 'active':
            return found.missing === 0
                ? { action: 'unchanged', reason: 'the target already equals the source' }
                : decideExisting(type, what, found.missing, found.purgeProtected, policy.ifExists);
        case 'deleted':
            return decideDeleted(what, found, policy.ifDeleted);
    }
}
/** An active target that differs from the source, under `if-exists`. */
function decideExisting(type, what, missing, purgeProtected, ifExists) {
    switch (ifExists) {
        case 'skip':
            return { action: 'skip', reason: 'exists and differs (if-exists: skip)' };
        case 'fail':
            return {
                action: 'fail',
                reason: `${what} exists in the target and differs (if-exists: fail); use if-exists 'skip', 'update' or 'replace'`
            };
        case 'update':
            if (type === 'keys') {
                return {
                    action: 'skip',
                    reason: `a key cannot take a new version from another vault (its material never leaves Key Vault); use if-exists 'replace'`
                };
            }
            return {
                action: 'update',
                reason: `differs: ${missing} version${missing === 1 ? '' : 's'} to write (if-exists: update)`
            };
        case 'replace':
            if (purgeProtected) {
                return {
                    action: 'fail',
                    reason: `${what} exists and the target has purge protection: 'replace' would delete it and leave the name ` +
                        `unusable until the retention period ends, so it is refused; use if-exists 'update' or 'skip'`
                };
            }
            return { action: 'replace', reason: 'exists and differs (if-exists: replace)' };
    }
}
/** A soft-deleted target name, under `if-deleted`. */
function decideDeleted(what, found, ifDeleted) {
    const protectedDate = found.purgeProtected ? found.scheduledPurgeDate : undefined;
    switch (ifDeleted) {
        case 'skip':
            return { action: 'skip', reason: 'soft-deleted (if-deleted: skip)' };
        case 'recover':
            return { action: 'recover', reason: 'soft-deleted (if-deleted: recover): recover it, then compare' };
        case 'purge':
            if (found.purgeProtected) {
                return {
                    action: 'fail',
                    reason: `${what} is soft-deleted in a target with purge protection, so it cannot be purged; ` +
                        `the name frees up ${copy_freeOn(protectedDate)}. Use if-deleted 'recover' to bring it back now`
                };
            }
            return { action: 'purge-and-create', reason: 'soft-deleted (if-deleted: purge)' };
        case 'fail':
            return {
                action: 'fail',
                reason: `${what} is soft-deleted in the target, so its name cannot be reused (if-deleted: fail); use if-deleted ` +
                    (found.purgeProtected
                        ? `'recover' (purge protection: the name frees up ${copy_freeOn(protectedDate)})`
                        : `'recover' or 'purge'`)
            };
    }
}
/** The deleted state of a target name from its deleted listing entry. */
function deletedFound(entry) {
    return {
        kind: 'deleted',
        purgeProtected: isPurgeProtected(entry.recoveryLevel),
        ...(entry.scheduledPurgeDate && { scheduledPurgeDate: entry.scheduledPurgeDate })
    };
}
function sameTags(a, b) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every(k => Object.hasOwn(b, k) && a[k] === b[k]);
}
/** Equal value, content type, tags, enabled flag and dates. */
function sameSecretVersion(a, b) {
    return (a.value === b.value &&
        (a.contentType ?? '') === (b.contentType ?? '') &&
        a.enabled === b.enabled &&
        a.notBefore === b.notBefore &&
        a.expiresOn === b.expiresOn &&
        sameTags(a.tags, b.tags));
}
/** Equal thumbprint (case-insensitive hex), enabled flag and tags. */
function sameCertificateVersion(a, b) {
    return (a.thumbprint.toLowerCase() === b.thumbprint.toLowerCase() &&
        a.enabled === b.enabled &&
        sameTags(a.tags, b.tags));
}
/** Equal key type, size, curve, exportability, key reuse and e-mail actions. */
function samePolicy(a, b) {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(p) {
    return [
        p.keyType?.toUpperCase(),
        p.keySize,
        p.keyCurveName,
        p.exportable ?? true,
        p.reuseKey ?? false,
        (p.emailBeforeExpiry ?? []).map(e => [e.daysBeforeExpiry, e.lifetimePercentage])
    ];
}

;// CONCATENATED MODULE: ./src/core/rename.ts

/** Parses the `rename` lines; returns the rules and a problem per bad line. */
function parseRenameRules(lines) {
    const rules = [];
    const problems = [];
    for (const line of lines) {
        const eq = line.indexOf('=');
        const pattern = line.slice(0, eq).trim();
        const replacement = line.slice(eq + 1).trim();
        const stars = (text) => text.split('*').length - 1;
        if (eq <= 0 || !replacement) {
            problems.push(`${JSON.stringify(line)}: expected pattern=replacement, e.g. prod-*=staging-*`);
        }
        else if (stars(pattern) > 1 || stars(replacement) > 1) {
            problems.push(`${JSON.stringify(line)}: each side may hold at most one '*'`);
        }
        else if (stars(replacement) === 1 && stars(pattern) === 0) {
            problems.push(`${JSON.stringify(line)}: the replacement has a '*' but the pattern has none to fill it`);
        }
        else if (!/^[0-9a-zA-Z*-]+$/.test(pattern) || !/^[0-9a-zA-Z*-]+$/.test(replacement)) {
            problems.push(`${JSON.stringify(line)}: names hold letters, digits and '-' (and one '*')`);
        }
        else
            rules.push({ pattern, replacement });
    }
    return { rules, problems };
}
/** The name `name` gets under the first rule that matches it (case-insensitive), or itself. */
function renamed(name, rules) {
    for (const { pattern, replacement } of rules) {
        const star = pattern.indexOf('*');
        if (star < 0) {
            if (pattern.toLowerCase() === name.toLowerCase())
                return replacement;
            continue;
        }
        const head = pattern.slice(0, star);
        const tail = pattern.slice(star + 1);
        const lower = name.toLowerCase();
        if (name.length >= head.length + tail.length &&
            lower.startsWith(head.toLowerCase()) &&
            lower.endsWith(tail.toLowerCase())) {
            const middle = name.slice(head.length, name.length - tail.length);
            return replacement.replace('*', middle);
        }
    }
    return name;
}
/**
 * What stops a copy before any write: target names Key Vault would refuse, and two items landing on
 * one name. Names are case-insensitive; a certificate also holds its name among secrets and keys
 * (its own secret and key), so a secret or key may not land on a certificate's name.
 */
function renameProblems(mappings) {
    const problems = [];
    const what = (m) => `${m.type.slice(0, -1)} '${m.name}'`;
    for (const m of mappings) {
        if (!OBJECT_NAME.test(m.target)) {
            problems.push(`${what(m)} would be renamed to '${m.target.slice(0, 140)}', which is not a valid Key Vault name (1-127 letters, digits and '-')`);
        }
    }
    const holders = new Map();
    for (const m of mappings) {
        const spaces = m.type === 'certificates' ? ['secrets', 'keys'] : [m.type];
        for (const space of spaces) {
            const key = `${space}/${m.target.toLowerCase()}`;
            holders.set(key, [...(holders.get(key) ?? []), m]);
        }
    }
    const reported = new Set();
    for (const [key, list] of holders) {
        if (list.length < 2)
            continue;
        const names = list.map(what).join(' and ');
        if (reported.has(names))
            continue;
        reported.add(names);
        problems.push(`${names} would both land on the name '${list[0].target}' (${key.split('/')[0]} in the target)`);
    }
    return problems;
}

;// CONCATENATED MODULE: ./src/operations/copy/plan.ts









const byCreated = (a, b) => (a.createdOn ?? 0) - (b.createdOn ?? 0);
/** The secret shape of a version as listed, with its value. */
function shapeOf(version, value) {
    return {
        value,
        ...(version.contentType !== undefined && { contentType: version.contentType }),
        tags: version.tags,
        enabled: version.enabled,
        ...(version.notBefore !== undefined && { notBefore: version.notBefore }),
        ...(version.expiresOn !== undefined && { expiresOn: version.expiresOn })
    };
}
async function versionsOf(side, type, name) {
    const all = await readAllPages(side.connection.rate, token => side.values.versionPage(type, name, token));
    return all.sort(byCreated);
}
/**
 * Values of the source's current secret versions read while the listings still run, so the reads
 * overlap the listing chains instead of following them. Bounded: at most `slots` reads at once
 * (the listings' pages pass them, see `forEachPage`) and, once `READ_AHEAD_BYTES` of values are
 * held, the rest are read when compared or written. Values stay in memory, masked as read.
 */
class ReadAhead {
    source;
    settings;
    slots;
    held = 0;
    active = 0;
    stopped = false;
    waiting = [];
    constructor(source, settings, slots) {
        this.source = source;
        this.settings = settings;
        this.slots = slots;
    }
    /**
     * Starts what the plan and the work will need of the item: a certificate's policy and versions,
     * and a readable current secret version's value when the copy will write (a dry run reads only
     * what its comparisons need).
     */
    add(item) {
        if (item.type === 'certificates') {
            item.prepared = this.limited(async () => ({
                reason: await prepareSource(this.source, this.settings, item)
            }));
            // Awaited where it is needed (and its failure reported there); never left unhandled.
            item.prepared.catch(() => undefined);
            return;
        }
        if (this.settings.dryRun || this.settings.versions !== 'latest')
            return;
        if (item.type !== 'secrets' || !item.listed.enabled)
            return;
        item.reading = this.limited(async () => {
            if (this.held >= READ_AHEAD_BYTES)
                return undefined;
            const shapes = await readLatestSecret(this.source, item);
            for (const shape of shapes)
                this.held += shape.value.length * 2;
            return shapes;
        });
        item.reading.catch(() => undefined);
    }
    /** Reads not started yet are left to the work, which reads at the vault's full concurrency. */
    stop() {
        this.stopped = true;
        for (const wake of this.waiting.splice(0))
            wake();
    }
    /** The work's result, or undefined when stopped before its turn (the caller then does it itself). */
    async limited(work) {
        while (this.active >= this.slots && !this.stopped) {
            await new Promise(resolve => this.waiting.push(resolve));
        }
        if (this.stopped)
            return undefined;
        this.active++;
        try {
            return await work();
        }
        finally {
            this.active--;
            this.waiting.shift()?.();
        }
    }
}
/** How much of the source's values the read-ahead may hold (UTF-16 bytes). */
const READ_AHEAD_BYTES = 32 * 1024 * 1024;
/**
 * Lists the source's selected items, page by page as listings give them: the types at once (each
 * listing is a chain of pages, so one type's pages cannot overlap), in the order of `types`. Each
 * page's secrets start reading ahead, and its target names join the search of the target.
 */
async function listSource(source, settings, ahead, targets) {
    const leftOut = { owned: 0, filtered: 0 };
    const reader = new KeyVaultReader(source.connection.clients);
    const perType = await Promise.all(settings.filter.types.map(async (type) => {
        const selected = [];
        await forEachPage(source.connection.rate, token => reader.listItems(type, token), page => {
            const selection = selectItems(page, settings.filter);
            for (const listed of selection.selected) {
                const item = {
                    type: listed.type,
                    name: listed.name,
                    target: renamed(listed.name, settings.rename),
                    listed,
                    versions: []
                };
                selected.push(item);
                ahead.add(item);
                targets.add(item);
            }
            for (const skipped of selection.skipped) {
                if (page.find(i => i.name === skipped.name)?.managed)
                    leftOut.owned++;
                else
                    leftOut.filtered++;
            }
        }, { ahead: true });
        return selected;
    }));
    return { items: perType.flat(), leftOut };
}
/**
 * Reads both vaults and plans the copy before anything is written: the source's selected items and
 * the versions to copy, the names they take (a bad or colliding name stops here), and what the
 * target holds under each name, compared by value (secrets), thumbprint and policy (certificates)
 * or version ids (keys). Values are compared in memory only.
 */
async function planCopy(source, target, settings) {
    // Stopped however planning ends, so no read is left queued behind a failed listing.
    const ahead = new ReadAhead(source, settings, settings.concurrency);
    const targets = new TargetSearches(target);
    try {
        const { items, leftOut } = await listSource(source, settings, ahead, targets);
        targets.finish();
        const problems = renameProblems(items);
        if (problems.length > 0) {
            throw new StepError(`The copy was stopped before any write:\n- ${problems.join('\n- ')}`);
        }
        const found = await targets.found(items);
        const entries = await mapLimited(items, settings.concurrency, (item, i) => planItem(source, target, settings, item, found[i]));
        return { items, entries, leftOut };
    }
    finally {
        ahead.stop();
        targets.finish();
    }
}
/**
 * What the target holds under the items' names, searched while the source is listed: a type's
 * active and deleted listings start with the source's first item of that type (a type the source
 * has none of is never listed), and the active listing reads as far as the names learnt so far
 * allow (see `findNames`), so the two vaults' listing chains overlap instead of following each other.
 */
class TargetSearches {
    target;
    searches = new Map();
    constructor(target) {
        this.target = target;
    }
    add(item) {
        let search = this.searches.get(item.type);
        if (!search) {
            const names = new LearntNames();
            const { rate } = this.target.connection;
            const result = Promise.all([
                this.target.deleted[item.type].listing(),
                findNames(rate, t => this.target.writer.listActive(item.type, t), names)
            ]);
            // Awaited in found() (and its failure reported there); never left unhandled.
            result.catch(() => undefined);
            search = { names, result };
            this.searches.set(item.type, search);
        }
        search.names.add(item.target);
    }
    /** Every name is known: the searches read what is left of their budget and end. */
    finish() {
        for (const { names } of this.searches.values())
            names.finish();
    }
    /** What each item's target name holds: listed active names, the deleted listing, or nothing. */
    async found(items) {
        const result = items.map(() => ({ kind: 'absent' }));
        for (const [type, search] of this.searches) {
            const [deleted, active] = await search.result;
            items.forEach((item, i) => {
                if (item.type !== type)
                    return;
                const key = item.target.toLowerCase();
                const listed = active?.get(key);
                const entry = deleted.get(key);
                if (listed?.managed)
                    result[i] = { kind: 'owned' };
                else if (listed)
                    result[i] = { kind: 'maybe-active', recoveryLevel: listed.recoveryLevel };
                else if (entry)
                    result[i] = { kind: 'deleted', found: deletedFound(entry) };
                // A target listing too long for the work is not read to its end: the item's versions tell.
                else if (!active)
                    result[i] = { kind: 'maybe-active' };
            });
        }
        return result;
    }
}
/** Plans one item: reads what the comparison needs and decides. */
async function planItem(source, target, settings, item, name) {
    const row = (state, decision, write = 0, note) => ({
        type: item.type,
        name: item.name,
        target: item.target,
        state,
        decision,
        write,
        ...(note && { note })
    });
    const notCopied = (reason) => row('not copied', { action: 'skip', reason });
    const ahead = item.prepared && (await item.prepared);
    delete item.prepared;
    const unreadable = ahead ? ahead.reason : await prepareSource(source, settings, item);
    if (unreadable)
        return notCopied(unreadable);
    const uncopiable = item.type === 'keys' ? keyBarrier(settings, item, source, target) : undefined;
    if (uncopiable)
        return notCopied(uncopiable);
    const note = notes(item);
    let found;
    if (name.kind === 'absent')
        found = { kind: 'absent' };
    else if (name.kind === 'owned')
        found = { kind: 'certificate-owned' };
    else if (name.kind === 'deleted')
        found = name.found;
    else
        found = await compare(source, target, settings, item, isPurgeProtected(name.recoveryLevel));
    if (found.kind === 'active' || found.kind === 'deleted')
        item.purgeProtected = found.purgeProtected;
    const decision = decideCopy(item.type, item.target, found, settings.policy);
    const write = decision.action === 'update' && found.kind === 'active'
        ? found.missing
        : ['create', 'replace', 'purge-and-create', 'recover'].includes(decision.action)
            ? Math.max(1, item.versions.length)
            : 0;
    if (decision.action !== 'update')
        delete item.read;
    if (write === 0)
        delete item.reading;
    return row(copyStateLabel(found), decision, write, note);
}
/**
 * Reads what the plan needs of the source item; returns why it cannot be copied, if so. Secrets
 * with `versions: latest` wait for their value until it is compared or written.
 */
async function prepareSource(source, settings, item) {
    if (item.type === 'keys') {
        item.versions = await versionsOf(source, 'keys', item.name);
        return undefined;
    }
    if (item.type === 'certificates') {
        item.policy = await source.connection.rate.run(() => source.values.certificatePolicy(item.name));
        if (item.policy.copied.exportable === false) {
            return 'not exportable: its private key never leaves the vault; issue a new certificate in the target';
        }
    }
    if (item.type === 'secrets' && settings.versions === 'latest') {
        return item.listed.enabled ? undefined : 'disabled: the current value of a disabled secret cannot be read';
    }
    const all = await versionsOf(source, item.type, item.name);
    const readable = all.filter(v => v.enabled);
    if (all.length === 0)
        return 'no version to copy yet (a certificate still being created?)';
    if (readable.length === 0)
        return `disabled: none of its ${all.length} versions can be read`;
    if (settings.versions === 'latest') {
        const latest = all[all.length - 1];
        if (!latest.enabled)
            return 'disabled: its current version cannot be read';
        item.versions = [latest];
    }
    else
        item.versions = readable;
    return undefined;
}
/**
 * Why a key cannot be copied at all: its material never leaves Key Vault, so it travels only as its
 * backup, which restores under its own name and only within the same subscription and geography
 * (never across tenants or clouds). Undefined when a restore may work (it is then tried).
 */
function keyBarrier(settings, item, source, target) {
    const way = 'create a new key in the target (or copy within one subscription and geography)';
    const [from, to] = [source.connection.region(), target.connection.region()];
    const [fromGeo, toGeo] = [geographyOf(from), geographyOf(to)];
    if (fromGeo && toGeo && fromGeo !== toGeo) {
        return `another geography (${from}: ${fromGeo}; ${to}: ${toGeo}): a key is copied with its backup, which restores only within one subscription and geography, and its material never leaves Key Vault otherwise; ${way}`;
    }
    if (settings.identity.cloud.name !== settings.targetIdentity.cloud.name) {
        return `another cloud: a key's material never leaves Key Vault; ${way}`;
    }
    const [a, b] = [settings.identity.tenantId, settings.targetIdentity.tenantId].map(t => t?.toLowerCase());
    if (a && b && a !== b)
        return `another tenant: a key's material never leaves Key Vault; ${way}`;
    if (item.target.toLowerCase() !== item.name.toLowerCase()) {
        return `a key is copied with its backup, which restores under its own name: it cannot be renamed`;
    }
    return undefined;
}
function notes(item) {
    const parts = [];
    if (item.policy?.issuerName && !/^(self|unknown)$/i.test(item.policy.issuerName)) {
        parts.push(`issuer '${item.policy.issuerName}' is imported as Unknown (the target may not have it)`);
    }
    return parts.join('; ') || undefined;
}
/** Compares an active target item with the source; `missing` is what the target lacks. */
async function compare(source, target, settings, item, purgeProtected) {
    const targetVersions = await versionsOf(target, item.type, item.target);
    item.targetLatest = targetVersions[targetVersions.length - 1]?.version;
    if (targetVersions.length === 0)
        return { kind: 'absent' };
    let missing;
    if (item.type === 'keys') {
        const have = new Set(targetVersions.map(v => v.version.toLowerCase()));
        const same = item.versions.length === have.size && item.versions.every(v => have.has(v.version.toLowerCase()));
        missing = same ? 0 : item.versions.length;
    }
    else if (item.type === 'certificates') {
        const shape = (v) => ({ thumbprint: v.thumbprint ?? '', enabled: v.enabled, tags: v.tags });
        missing = versionsMissing(item.versions.map(shape), targetVersions.map(shape), sameCertificateVersion);
        const targetPolicy = await target.connection.rate.run(() => target.values.certificatePolicy(item.target));
        if (missing === 0 && !samePolicy(item.policy.copied, targetPolicy.copied))
            missing = 1;
    }
    else {
        const sourceShapes = await readSourceSecrets(source, settings, item);
        const tail = targetVersions.slice(-sourceShapes.length);
        const targetShapes = await Promise.all(tail.map(async (v) => shapeOf(v, v.enabled
            ? await target.connection.rate.run(() => target.values.secretValue(item.target, v.version))
            : '')));
        missing = versionsMissing(sourceShapes, targetShapes, sameSecretVersion);
        item.read = sourceShapes;
    }
    return { kind: 'active', missing, purgeProtected };
}
/** Compares the item's target again (after a recovery) and returns what it holds now. */
function compareAgain(source, target, settings, item) {
    return compare(source, target, settings, item, item.purgeProtected ?? false);
}
/** The source secret's current version with its value; the item's versions become that one. */
async function readLatestSecret(source, item) {
    const latest = await source.connection.rate.run(() => source.values.latestSecret(item.name));
    item.versions = [latest.version];
    return [shapeOf(latest.version, latest.value)];
}
/** The source secret's versions to copy, with their values (the latest alone for `versions: latest`). */
async function readSourceSecrets(source, settings, item) {
    if (item.read)
        return item.read;
    if (item.reading) {
        const reading = item.reading;
        delete item.reading;
        const shapes = await reading;
        if (shapes)
            return shapes;
    }
    if (settings.versions === 'latest' && item.versions.length === 0)
        return readLatestSecret(source, item);
    return Promise.all(item.versions.map(async (v) => shapeOf(v, await source.connection.rate.run(() => source.values.secretValue(item.name, v.version)))));
}

;// CONCATENATED MODULE: ./src/operations/copy/execute.ts









/** Another security world refused a key's blob: every other key would be refused the same way. */
const FOREIGN_KEY = 'another security world: a key is copied with its backup, which restores only within the same ' +
    'subscription and geography, and its material never leaves Key Vault otherwise; create a new key in the target';
/**
 * Executes a copy plan: certificates first, then secrets and keys, at most twice `concurrency`
 * items at a time. An item reads the source, then writes the target: with twice as many items as
 * each vault has slots, both vaults keep their `concurrency` calls in flight (each vault's rate
 * controller and pace still hold its own calls to that). One outcome per row, in the plan's order.
 */
async function executeCopy(run, source, target, settings, plan, onOutcome) {
    const context = {
        run,
        source,
        target,
        settings,
        poll: defaultPollSettings(run.clock, run.sleep),
        foreignKeys: false
    };
    const outcomes = new Array(plan.entries.length);
    const order = plan.entries
        .map((entry, i) => ({ entry, i }))
        .sort((a, b) => Number(b.entry.type === 'certificates') - Number(a.entry.type === 'certificates'));
    await mapLimited(order, 2 * settings.concurrency, async ({ entry, i }) => {
        let outcome;
        try {
            outcome = await copyOne(context, plan.items[i], entry);
        }
        catch (error) {
            outcome = { ...entry, status: 'failed', reason: errorMessage(error) };
        }
        outcomes[i] = outcome;
        run.log.info(`${singular(entry.type)} '${escapeLog(entry.name)}'${entry.target === entry.name ? '' : ` -> '${escapeLog(entry.target)}'`}: ` +
            `${outcome.status}${outcome.reason ? ` (${escapeLog(outcome.reason)})` : ''}`);
        onOutcome(i, outcome);
    });
    return outcomes;
}
/** Follows one row's decision; a recovered item is compared again and decided as existing. */
async function copyOne(context, item, entry) {
    const { target, settings } = context;
    let row = entry;
    for (let round = 0; round < 3; round++) {
        const action = row.decision.action;
        switch (action) {
            case 'unchanged':
                return { ...row, status: 'unchanged' };
            case 'skip':
                return { ...row, status: 'skipped', reason: row.decision.reason };
            case 'fail':
                return { ...row, status: 'failed', reason: row.decision.reason };
            case 'create':
            case 'update':
                return write(context, item, row, row.write);
            case 'purge-and-create':
                await act(context, 'purge', item, () => target.writer.purge(item.type, item.target));
                item.targetLatest = undefined;
                return write(context, item, row, item.versions.length || 1);
            case 'replace':
                await act(context, 'delete', item, () => target.writer.startDelete(item.type, item.target));
                await pollUntil(`the deleted ${singular(item.type)} '${item.target}' to appear in the deleted view`, async () => ((await target.deleted[item.type].find(item.target)) ? true : undefined), context.poll);
                await act(context, 'purge', item, () => target.writer.purge(item.type, item.target));
                item.targetLatest = undefined;
                return write(context, item, row, item.versions.length || 1);
            case 'recover': {
                await act(context, 'recover', item, () => target.writer.startRecover(item.type, item.target));
                await pollUntil(`${singular(item.type)} '${item.target}' to finish recovering`, async () => {
                    const versions = await readAllPages(target.connection.rate, token => target.values.versionPage(item.type, item.target, token));
                    return versions.length > 0 ? true : undefined;
                }, context.poll);
                const found = await compareAgain(context.source, target, settings, item);
                const decision = decideCopy(item.type, item.target, found, { ...settings.policy });
                row = {
                    ...row,
                    state: copyStateLabel(found),
                    decision: { ...decision, reason: `recovered, then ${decision.reason}` },
                    write: found.kind === 'active' ? found.missing : row.write
                };
                break;
            }
        }
    }
    return { ...row, status: 'failed', reason: 'the name kept changing state during the copy' };
}
/** One vault call under the target's rate control, its failure explained. */
async function act(context, op, item, call) {
    try {
        await context.target.connection.rate.run(call);
    }
    catch (error) {
        throw new Error(`${op} failed: ${context.target.connection.explain(error, { type: item.type, operation: op })}`);
    }
}
/**
 * A write that is tried again only if it did not land. The rate controller retries a call after a
 * 5xx or a reset, but the service may have applied a PUT or an import whose answer was lost: a
 * second try would add a second version. So a try after such a failure asks `landed` first (on the
 * wire, inside the same slot) and returns what it found instead of writing again. After a 429 the
 * service served nothing: the write is tried again without a read that would add to the throttling.
 */
function once(write, landed) {
    let uncertain = false;
    return async () => {
        if (uncertain) {
            const found = await landed();
            if (found !== undefined)
                return found;
        }
        try {
            return await write();
        }
        catch (error) {
            uncertain = error?.statusCode !== 429;
            throw error;
        }
    };
}
/**
 * Writes the last `count` versions of the item to copy (oldest first, so the latest ends current).
 * The first write rides out a name still taken for a few seconds (after a purge or a delete). A
 * write tried again after a lost answer is checked first: a secret or certificate version newer
 * than the one the target held before, equal to what the write carries, is that write's (see `once`).
 */
async function write(context, item, row, count) {
    const { source, target } = context;
    const writeFirst = async (call) => {
        let result;
        await pollUntil(`the name of ${singular(item.type)} '${item.target}' to become free`, async () => {
            try {
                result = await target.connection.rate.run(call);
                return true;
            }
            catch (error) {
                if (error.statusCode === 409 &&
                    /being (deleted|recovered)|conflict/i.test(errorMessage(error))) {
                    return undefined;
                }
                throw error;
            }
        }, context.poll);
        return result;
    };
    const explainWrite = (error, operation) => new Error(`${operation === 'import' ? 'import' : 'write'} failed: ${target.connection.explain(error, { type: item.type, operation })}`);
    if (item.type === 'keys') {
        if (context.foreignKeys)
            return { ...row, status: 'skipped', reason: FOREIGN_KEY };
        const blob = await source.connection.rate.run(() => source.values.backupKey(item.name));
        // A restore that landed leaves the key with the source's version ids (a retry would get a 409).
        const restored = async () => {
            const ids = new Set();
            let token;
            do {
                let page;
                try {
                    page = await target.values.versionPage('keys', item.target, token);
                }
                catch (error) {
                    if (error?.statusCode === 404)
                        return undefined;
                    throw error;
                }
                for (const v of page.items)
                    ids.add(v.version.toLowerCase());
                token = page.continuationToken;
            } while (token);
            const all = item.versions.length > 0 && item.versions.every(v => ids.has(v.version.toLowerCase()));
            return all || undefined;
        };
        try {
            await writeFirst(once(async () => {
                await target.values.restoreKey(blob);
                return true;
            }, restored));
        }
        catch (error) {
            if (isForeignBlobError(error)) {
                context.foreignKeys = true;
                return { ...row, status: 'skipped', reason: FOREIGN_KEY };
            }
            throw explainWrite(error, 'restore');
        }
        return { ...row, status: 'copied', reason: 'restored from its backup (every version, the same ids)' };
    }
    if (item.type === 'secrets') {
        const shapes = (await readSourceSecrets(source, context.settings, item)).slice(-count);
        delete item.read;
        let before = item.targetLatest;
        for (const [n, shape] of shapes.entries()) {
            const previous = before;
            const call = once(() => target.values.setSecret(item.target, shape), async () => {
                const current = await target.values.currentSecret(item.target);
                return current &&
                    current.version.version !== previous &&
                    sameSecretVersion(shapeOf(current.version, current.value), shape)
                    ? current.version.version
                    : undefined;
            });
            try {
                before = n === 0 ? await writeFirst(call) : await target.connection.rate.run(call);
            }
            catch (error) {
                throw explainWrite(error, 'set');
            }
        }
        return {
            ...row,
            status: 'copied',
            reason: `${shapes.length} version${shapes.length === 1 ? '' : 's'} written`
        };
    }
    const versions = item.versions.slice(-count);
    let before = item.targetLatest;
    for (const [n, version] of versions.entries()) {
        const exported = await source.connection.rate.run(() => source.values.certificateExport(item.name, version.version));
        if (!exported.hasPrivateKey) {
            return {
                ...row,
                status: 'skipped',
                reason: 'not exportable: its exported secret holds no private key; issue a new certificate in the target'
            };
        }
        const previous = before;
        const importIt = once(() => target.values.importCertificate(item.target, exported, item.policy.copied, version.enabled, version.tags), async () => {
            const current = await target.values.currentCertificate(item.target);
            const shape = (v) => ({
                thumbprint: v.thumbprint ?? '',
                enabled: v.enabled,
                tags: v.tags
            });
            return current?.thumbprint &&
                version.thumbprint &&
                current.version !== previous &&
                sameCertificateVersion(shape(current), shape(version))
                ? current.version
                : undefined;
        });
        try {
            before = n === 0 ? await writeFirst(importIt) : await target.connection.rate.run(importIt);
        }
        catch (error) {
            throw explainWrite(error, 'import');
        }
    }
    return {
        ...row,
        status: 'copied',
        reason: `${versions.length} version${versions.length === 1 ? '' : 's'} imported`
    };
}

;// CONCATENATED MODULE: ./src/operations/copy/summary.ts




function newCopyReport(sourceVault, targetVault, settings) {
    return {
        sourceVault,
        targetVault,
        dryRun: settings.dryRun,
        policy: settings.policy,
        versions: settings.versions,
        renames: settings.rename.length,
        plan: [],
        outcomes: [],
        leftOut: { owned: 0, filtered: 0 }
    };
}
/** Counts outcomes (skipping items not finished yet). */
function tallyCopy(outcomes) {
    const totals = { copied: 0, unchanged: 0, skipped: 0, failed: 0, planned: 0 };
    for (const o of outcomes)
        if (o)
            totals[o.status]++;
    return totals;
}
function copyOutputs(report) {
    const t = tallyCopy(report.outcomes);
    return {
        [Outputs.Copied]: String(t.copied),
        [Outputs.Unchanged]: String(t.unchanged),
        [Outputs.Skipped]: String(t.skipped),
        [Outputs.Failed]: String(t.failed),
        [Outputs.PlanPath]: report.planPath ?? ''
    };
}
function copyFailures(report) {
    return failureMessage(report.outcomes.filter(o => o?.status === 'failed'), report.plan.length, 'failed to copy');
}
const arrow = (e) => (e.target === e.name ? '' : ` -> '${escapeLog(e.target)}'`);
/** The plan as log lines, printed before anything is written. */
function copyPlanLines(plan) {
    return plan.map(e => `  ${singular(e.type)} '${escapeLog(e.name)}'${arrow(e)}: ${e.state} -> ${e.decision.action}` +
        ` (${escapeLog(e.decision.reason)})${e.note ? `; ${escapeLog(e.note)}` : ''}`);
}
/** The plan file behind `plan-path`: each item, its target name, the state found, decision and outcome. */
function copyPlanDocument(report) {
    return {
        sourceVault: report.sourceVault,
        targetVault: report.targetVault,
        policy: report.policy,
        versions: report.versions,
        dryRun: report.dryRun,
        leftOut: report.leftOut,
        items: report.plan.map((entry, i) => {
            const outcome = report.outcomes[i];
            const final = outcome ?? entry;
            return {
                type: entry.type,
                name: entry.name,
                target: entry.target,
                state: final.state,
                action: final.decision.action,
                reason: final.decision.reason,
                versionsToWrite: final.write,
                ...(entry.note && { note: entry.note }),
                outcome: outcome?.status ?? 'pending',
                ...(outcome?.reason && { outcomeReason: outcome.reason })
            };
        })
    };
}
/** The job summary: both vaults, the policies, totals, and the plan table with outcomes. */
function renderCopySummary(report, limit = SUMMARY_ITEM_LIMIT) {
    const t = tallyCopy(report.outcomes);
    const lines = [`## Key Vault copy${report.dryRun ? ' (dry run: plan only)' : ''}`, ''];
    lines.push(`Source: \`${escapeMarkdown(report.sourceVault)}\` → Target: \`${escapeMarkdown(report.targetVault)}\``, '');
    if (report.fatal)
        lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '');
    lines.push(`Policies: if-exists \`${report.policy.ifExists}\`, if-deleted \`${report.policy.ifDeleted}\` · versions \`${report.versions}\`` +
        (report.renames ? ` · ${report.renames} rename rules` : ''), '');
    const left = report.leftOut;
    if (report.plan.length > 0) {
        lines.push(`Copied ${t.copied} · unchanged ${t.unchanged} · skipped ${t.skipped} · failed ${t.failed}` +
            (t.planned ? ` · planned ${t.planned}` : '') +
            (left.owned ? ` · ${left.owned} certificate-owned left to their certificates` : '') +
            (left.filtered ? ` · ${left.filtered} left out by the filters` : ''), '');
        lines.push('| Type | Item | Target name | State found | Decision | Outcome |', '| --- | --- | --- | --- | --- | --- |');
        for (const [i, e] of report.plan.slice(0, limit).entries()) {
            const o = report.outcomes[i];
            const outcome = o ? `${o.status}${o.reason ? `: ${o.reason}` : ''}` : 'pending';
            const decision = `${(o?.decision ?? e.decision).action}${e.note ? ` (${e.note})` : ''}`;
            lines.push(`| ${e.type} | ${escapeMarkdown(e.name)} | ${escapeMarkdown(e.target)} | ${escapeMarkdown(o?.state ?? e.state)} | ` +
                `${escapeMarkdown(decision)} | ${escapeMarkdown(outcome)} |`);
        }
        if (report.plan.length > limit)
            lines.push('', `…and ${report.plan.length - limit} more items (see the plan file).`);
        lines.push('');
    }
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./src/operations/copy/job.ts









/** `operation: copy` (and `keyvault-backup copy`). */
const copyOperation = {
    name: 'copy',
    newReport: settings => newCopyReport(settings.vault.url, settings.target.url, settings),
    run: copyVault,
    outputs: copyOutputs,
    summary: report => renderCopySummary(report),
    failures: copyFailures
};
/** What the source may be sent: listings and value reads (and a key's backup). Nothing is written there. */
const SOURCE_CAPABILITIES = ['list', 'read-values', 'backup'];
/** What the target may be sent: reads to compare, writes, and only what the policies call for. */
function copyTargetCapabilities(policy) {
    return [
        'list',
        'read-values',
        'write',
        'restore',
        ...(policy.ifExists === 'replace' ? ['delete', 'purge'] : []),
        ...(policy.ifDeleted === 'purge' ? ['purge'] : []),
        ...(policy.ifDeleted === 'recover' ? ['recover'] : [])
    ];
}
function side(run, connection) {
    const writer = new KeyVaultWriter(connection.clients);
    return {
        connection,
        values: new VaultValues(connection.clients, value => run.mask(value)),
        writer,
        deleted: deletedViews(writer, connection.rate)
    };
}
/**
 * Copies values from one vault to another, directly: values are read into memory (masked at once)
 * and written to the target, never to a file, an artifact, a log line or an output. The plan (both
 * vaults read, every item compared) is published before the first write; a dry run stops there.
 */
async function copyVault(run, settings, report) {
    const firstType = settings.filter.types[0];
    // Both sides connect at once (a sign-in they share is fetched once); a mistake on the source is
    // reported first, as if they had connected one after the other.
    const [sourceConnection, targetConnection] = await Promise.allSettled([
        run.connect(settings.vault, settings.identity, {
            allow: SOURCE_CAPABILITIES,
            firstType,
            concurrency: settings.concurrency
        }),
        run.connect(settings.target, settings.targetIdentity, {
            allow: copyTargetCapabilities(settings.policy),
            firstType,
            concurrency: settings.concurrency,
            inputs: {
                clientId: 'target-client-id',
                tenantId: 'target-tenant-id',
                environment: 'target-environment',
                audience: 'target-audience'
            }
        })
    ]);
    if (sourceConnection.status === 'rejected')
        throw sourceConnection.reason;
    if (targetConnection.status === 'rejected')
        throw targetConnection.reason;
    const source = side(run, sourceConnection.value);
    const target = side(run, targetConnection.value);
    const plan = await planCopy(source, target, settings);
    report.plan = plan.entries;
    report.leftOut = plan.leftOut;
    report.planPath = (0,external_node_path_.join)(settings.planDir, `plan-${settings.vault.name}-to-${settings.target.name}.json`);
    const file = new PlanFile(report.planPath, () => copyPlanDocument(report), run.clock, run.log);
    run.log.info(`Copy plan from ${escapeLog(settings.vault.url)} to ${escapeLog(settings.target.url)} (${plan.entries.length} items; ` +
        `${plan.leftOut.owned} certificate-owned left to their certificates, ${plan.leftOut.filtered} left out by the filters):`);
    for (const line of copyPlanLines(plan.entries))
        run.log.info(line);
    await file.write();
    await run.publish();
    if (plan.entries.length === 0)
        run.log.warning('This copy copies nothing: the filters select no item of the source');
    if (settings.dryRun) {
        report.outcomes = plan.entries.map(e => ({ ...e, status: 'planned' }));
        await file.write();
        return;
    }
    report.outcomes = new Array(plan.entries.length);
    report.outcomes = await executeCopy(run, source, target, settings, plan, (i, outcome) => {
        report.outcomes[i] = outcome;
        file.soon();
    });
    run.logRateControl(source.connection);
    run.logRateControl(target.connection);
    await file.write();
}

;// CONCATENATED MODULE: ./src/operations/copy/settings.ts





/** The inputs a copy takes; any other input with a value is refused. */
const COPY_INPUTS = new Set([
    Inputs.Vault,
    Inputs.Environment,
    Inputs.Auth,
    Inputs.ClientId,
    Inputs.TenantId,
    Inputs.Audience,
    Inputs.TargetVault,
    Inputs.TargetEnvironment,
    Inputs.TargetAuth,
    Inputs.TargetTenantId,
    Inputs.TargetClientId,
    Inputs.TargetAudience,
    Inputs.Types,
    Inputs.Include,
    Inputs.Exclude,
    Inputs.Tags,
    Inputs.SkipDisabled,
    Inputs.Rename,
    Inputs.Versions,
    Inputs.IfExists,
    Inputs.IfDeleted,
    Inputs.Concurrency,
    Inputs.FailOnError,
    Inputs.DryRun
]);
/**
 * Parses a copy's inputs. The target's `target-*` sign-in inputs default to the source's (the
 * audience to the target cloud's default when the clouds differ). Throws one error naming every
 * bad input.
 */
function parseCopySettings(source) {
    const { read, env } = source;
    const p = new Problems();
    refuseOtherInputs(read, p, 'copy', COPY_INPUTS);
    const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud');
    const targetCloud = parseCloud(p, Inputs.TargetEnvironment, read(Inputs.TargetEnvironment), cloud.name);
    const vault = parseVault(p, Inputs.Vault, read(Inputs.Vault), cloud);
    const target = parseVault(p, Inputs.TargetVault, read(Inputs.TargetVault), targetCloud);
    if (vault && target && vault.url === target.url) {
        p.add(`Inputs '${Inputs.Vault}' and '${Inputs.TargetVault}' name the same vault; a copy needs two`);
    }
    const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
        clientId: env.AZURE_CLIENT_ID,
        tenantId: env.AZURE_TENANT_ID
    });
    const targetIdentity = parseIdentity(source, p, TARGET_IDENTITY, targetCloud, identity);
    const rename = parseRenameRules(splitLines(read(Inputs.Rename)));
    for (const problem of rename.problems)
        p.add(`Invalid line in '${Inputs.Rename}': ${problem}`);
    const settings = {
        operation: 'copy',
        vault: vault ?? { url: '', name: '', knownHost: true },
        identity,
        target: target ?? { url: '', name: '', knownHost: true },
        targetIdentity,
        filter: parseFilter(read, p, ['secrets', 'certificates']),
        rename: rename.rules,
        versions: oneOf(p, Inputs.Versions, read(Inputs.Versions), ['latest', 'all'], 'latest'),
        policy: {
            ifExists: oneOf(p, Inputs.IfExists, read(Inputs.IfExists), COPY_IF_EXISTS, 'skip'),
            ifDeleted: oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), COPY_IF_DELETED, 'fail')
        },
        concurrency: parseConcurrency(read, p),
        failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
        dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false),
        planDir: (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), 'keyvault-copy')
    };
    p.throwIfAny();
    return settings;
}

;// CONCATENATED MODULE: ./src/core/fleet.ts


const NO_FLEET_FILTER = {
    include: [],
    exclude: [],
    tags: [],
    resourceGroups: [],
    locations: []
};
/** `West Europe` -> `westeurope`: the form Resource Manager answers with. */
const normalizeLocation = (location) => location.toLowerCase().replace(/\s+/g, '');
/**
 * Keeps the vaults every filter accepts. Names, groups and locations match case-insensitively (as
 * Azure treats them); tag keys match exactly first, then case-insensitively, as the portal does.
 */
function filterVaults(vaults, filter) {
    const reasonOf = leftOutReason(filter);
    const selection = { selected: [], leftOut: {} };
    for (const vault of vaults) {
        const reason = reasonOf(vault);
        if (reason)
            selection.leftOut[reason] = (selection.leftOut[reason] ?? 0) + 1;
        else
            selection.selected.push(vault);
    }
    return selection;
}
/** Why the filters leave a vault out (`not in resource-groups`, ...), or undefined when they keep it. */
function leftOutReason(filter) {
    const include = filter.include.map(compileGlob);
    const exclude = filter.exclude.map(compileGlob);
    const groups = filter.resourceGroups.map(compileGlob);
    const locations = filter.locations.map(l => compileGlob(normalizeLocation(l)));
    const tags = filter.tags.map(tag => ({ key: tag.key, matches: compileGlob(tag.value) }));
    return vault => {
        if (include.length > 0 && !include.some(match => match(vault.name)))
            return 'not matched by vault-include';
        if (exclude.some(match => match(vault.name)))
            return 'matched by vault-exclude';
        if (groups.length > 0 && !groups.some(match => match(vault.resourceGroup)))
            return 'not in resource-groups';
        if (locations.length > 0 && !locations.some(match => match(normalizeLocation(vault.location))))
            return 'not in locations';
        for (const tag of tags) {
            const value = findTag(vault.tags, tag.key);
            if (value === undefined || !tag.matches(value))
                return 'vault-tags do not match';
        }
        return undefined;
    };
}
/** GitHub runs at most 256 jobs from one matrix. */
const MAX_MATRIX_JOBS = 256;
/** `group-001`: names sort the way the groups are numbered. */
const groupName = (index) => `group-${String(index + 1).padStart(3, '0')}`;
/** The stable key of a vault: its resource id (case-insensitive in Azure), then its URL. */
const stableKey = (v) => `${v.id.toLowerCase()}|${v.url.toLowerCase()}`;
/**
 * Spreads vaults over at most `maxJobs` groups of near-equal size (sizes differ by at most one; one
 * vault per group when there are fewer vaults than jobs). The vaults are sorted by resource id and
 * cut into consecutive runs, so an unchanged fleet gives the same groups every run, and one vault
 * added or removed moves at most one vault across each boundary between groups (to a neighbouring
 * group) rather than reshuffling the fleet as dealing round-robin would. A vault listed twice (the
 * same resource id) counts once.
 */
function groupVaults(vaults, maxJobs = MAX_MATRIX_JOBS) {
    const byKey = new Map();
    for (const vault of vaults)
        if (!byKey.has(stableKey(vault)))
            byKey.set(stableKey(vault), vault);
    const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    const count = Math.min(Math.max(1, Math.floor(maxJobs)), MAX_MATRIX_JOBS, sorted.length);
    const groups = [];
    const size = Math.floor(sorted.length / Math.max(1, count));
    const larger = sorted.length % Math.max(1, count);
    for (let i = 0, start = 0; i < count; i++) {
        const end = start + size + (i < larger ? 1 : 0);
        groups.push({ group: groupName(i), vaults: sorted.slice(start, end) });
        start = end;
    }
    return groups;
}
/**
 * The group a matrix holds when the fleet is empty. GitHub refuses `{"include":[]}` when it evaluates
 * the job's strategy ("Matrix must define at least one vector": ConvertToStrategy in actions/runner's
 * PipelineTemplateConverter counts an empty include as no vector), and whether a job-level `if` is
 * evaluated before the strategy is not documented. So an empty fleet gives one placeholder entry
 * with no vaults: the strategy is valid either way, the consuming job skips with
 * `if: needs.discover.outputs.count != '0'` (the guard dorny/paths-filter#66 recommends), and a job
 * that runs anyway gets an empty `vaults` list, i.e. nothing to do.
 */
const EMPTY_FLEET_ENTRY = { group: 'none', vaults: '' };
/** The matrix of the groups (the placeholder entry when there are none). */
function fleetMatrix(groups) {
    if (groups.length === 0)
        return { include: [{ ...EMPTY_FLEET_ENTRY }] };
    return { include: groups.map(g => ({ group: g.group, vaults: g.vaults.map(v => v.url).join('\n') })) };
}
/** The `vaults` output's entry of a vault (no tags: they may be many, and outputs are capped at 1 MB). */
function vaultRecord(v) {
    return {
        name: v.name,
        url: v.url,
        subscriptionId: v.subscriptionId,
        resourceGroup: v.resourceGroup,
        location: v.location,
        tenantId: v.tenantId,
        softDelete: v.softDelete,
        purgeProtection: v.purgeProtection,
        permissionModel: v.permissionModel
    };
}

;// CONCATENATED MODULE: ./src/operations/discover/summary.ts




function newDiscoverReport(settings) {
    return {
        cloud: settings.cloud.name,
        maxJobs: settings.maxJobs,
        subscriptions: [],
        unreadable: [],
        vaults: [],
        groups: [],
        leftOut: {}
    };
}
/** `vaults` (JSON array), `count` and `matrix` (JSON object for `fromJSON`), all strings. */
function discoverOutputs(report) {
    return {
        [Outputs.Vaults]: JSON.stringify(report.vaults.map(vaultRecord)),
        [Outputs.Count]: String(report.vaults.length),
        [Outputs.Matrix]: JSON.stringify(fleetMatrix(report.groups))
    };
}
/**
 * GitHub keeps at most 1 MB of a job's outputs and counts them as UTF-16 (two bytes a character
 * here). A warning before a job output would be cut, naming what to map instead; else undefined.
 */
function outputSizeWarning(outputs, limit = 900_000) {
    const size = (value) => 2 * value.length;
    const kB = (bytes) => `${Math.round(bytes / 1000)} kB`;
    const matrix = size(outputs[Outputs.Matrix]);
    const vaults = size(outputs[Outputs.Vaults]);
    if (matrix > limit) {
        return (`The '${Outputs.Matrix}' output takes about ${kB(matrix)} as GitHub counts it; a job's outputs hold at most 1 MB. ` +
            `Narrow the fleet with the filters, or split it over several discover steps ('${Inputs.Subscriptions}').`);
    }
    if (matrix + vaults > limit) {
        return (`The '${Outputs.Vaults}' output takes about ${kB(vaults)} as GitHub counts it; a job's outputs hold at most 1 MB. ` +
            `Map only '${Outputs.Matrix}' and '${Outputs.Count}' to the job's outputs (the matrix jobs need no more).`);
    }
    return undefined;
}
const label = (s) => s.displayName ? `'${s.displayName}' (${s.subscriptionId})` : s.subscriptionId;
/**
 * Unreadable subscriptions fail the step only when nothing was found: vaults found elsewhere are
 * worth their jobs, and the summary lists what could not be read either way.
 */
function discoverFailures(report) {
    if (report.unreadable.length === 0 || report.vaults.length > 0)
        return undefined;
    const shown = report.unreadable.slice(0, 5).map(u => `${escapeLog(label(u))}: ${u.reason}`);
    const more = report.unreadable.length > 5 ? `\n…and ${report.unreadable.length - 5} more (see the job summary)` : '';
    return `No vault found, and ${report.unreadable.length} subscriptions could not be read:\n${shown.join('\n')}${more}`;
}
const yesNo = (value) => (value ? 'yes' : 'no');
/** The job summary: totals, the subscriptions not read and why, the vaults (cut off) and the groups. */
function renderDiscoverSummary(report, limit = SUMMARY_ITEM_LIMIT) {
    const lines = ['## Key Vault discovery', ''];
    if (report.fatal)
        lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '');
    const listed = report.subscriptions.reduce((n, s) => n + s.listed, 0);
    const left = Object.entries(report.leftOut);
    lines.push(`${report.cloud} · ${report.subscriptions.length} subscriptions read` +
        (report.unreadable.length ? ` · ${report.unreadable.length} not read` : '') +
        ` · ${listed} vaults listed · **${report.vaults.length} kept** in ${report.groups.length} groups ` +
        `(max-jobs ${report.maxJobs})`, '');
    if (left.length > 0)
        lines.push(`Left out by the filters: ${left.map(([reason, n]) => `${n} ${escapeMarkdown(reason)}`).join(' · ')}`, '');
    if (report.unreadable.length > 0) {
        lines.push('### Subscriptions not read', '', '| Subscription | Reason |', '| --- | --- |');
        for (const u of report.unreadable)
            lines.push(`| ${escapeMarkdown(label(u))} | ${escapeMarkdown(u.reason)} |`);
        lines.push('');
    }
    if (report.subscriptions.length > 0) {
        lines.push('### Subscriptions read', '', '| Subscription | Vaults listed | Kept |', '| --- | --- | --- |');
        for (const s of report.subscriptions.slice(0, limit))
            lines.push(`| ${escapeMarkdown(label(s))} | ${s.listed} | ${s.kept} |`);
        if (report.subscriptions.length > limit)
            lines.push('', `…and ${report.subscriptions.length - limit} more subscriptions.`);
        lines.push('');
    }
    if (report.vaults.length > 0) {
        const groupOf = new Map();
        for (const g of report.groups)
            for (const v of g.vaults)
                groupOf.set(v, g.group);
        lines.push('### Vaults', '', '| Vault | Group | Subscription | Resource group | Location | Soft delete | Purge protection | Permissions |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
        for (const v of report.vaults.slice(0, limit)) {
            lines.push(`| ${escapeMarkdown(v.name)} | ${groupOf.get(v) ?? ''} | ${escapeMarkdown(v.subscriptionId)} | ` +
                `${escapeMarkdown(v.resourceGroup)} | ${escapeMarkdown(v.location)} | ${yesNo(v.softDelete)} | ` +
                `${yesNo(v.purgeProtection)} | ${v.permissionModel} |`);
        }
        if (report.vaults.length > limit)
            lines.push('', `…and ${report.vaults.length - limit} more vaults (the \`vaults\` output lists them all).`);
        lines.push('');
    }
    if (report.groups.length > 0) {
        lines.push('### Matrix groups', '', '| Group | Vaults | Names |', '| --- | --- | --- |');
        for (const g of report.groups) {
            const names = g.vaults.slice(0, 5).map(v => escapeMarkdown(v.name));
            const more = g.vaults.length > 5 ? ` and ${g.vaults.length - 5} more` : '';
            lines.push(`| ${g.group} | ${g.vaults.length} | ${names.join(', ')}${more} |`);
        }
        lines.push('');
    }
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./src/operations/discover/job.ts










/** `operation: discover` (and `keyvault-backup discover`). */
const discoverOperation = {
    name: 'discover',
    newReport: newDiscoverReport,
    run: discoverFleet,
    outputs: discoverOutputs,
    summary: report => renderDiscoverSummary(report),
    failures: discoverFailures
};
/** Subscriptions read at once; each one's pages are read in order. */
const SUBSCRIPTION_CONCURRENCY = 4;
/**
 * Finds every vault the identity can read through Resource Manager: the subscriptions it can list
 * (or those named), each one's vaults page by page, then the filters and the matrix groups. A
 * subscription that cannot be read is reported with the reason and the fix; the step fails for it
 * only when nothing was found (see discoverFailures). The first call lists the subscriptions: a
 * sign-in, cloud or network mistake ends the step there with one error.
 */
async function discoverFleet(run, settings, report) {
    let credential;
    try {
        credential = run.signIn(settings.identity).credential;
    }
    catch (error) {
        throw new StepError(errorMessage(error));
    }
    const plane = createManagementPlane(settings.cloud, credential, {
        userAgent: `${TOOL_NAME}/${TOOL_VERSION}`
    });
    const rate = new RateController({
        concurrency: SUBSCRIPTION_CONCURRENCY,
        clock: run.clock,
        sleep: run.sleep,
        onRetry: e => run.log.debug(`Resource Manager: ${describeRetry(e)}`)
    });
    const scene = { identity: settings.identity };
    let visible;
    try {
        visible = await readAllPages(rate, token => plane.subscriptions(token));
    }
    catch (error) {
        throw new StepError(`Could not list the subscriptions: ${explainManagement(error, scene)}`);
    }
    const targets = chooseSubscriptions(visible, settings.subscriptions);
    run.log.info(settings.subscriptions.length > 0
        ? `Reading ${targets.length} named subscriptions in ${settings.cloud.name} (${visible.length} visible to this identity)`
        : `Reading the ${targets.length} subscriptions visible to this identity in ${settings.cloud.name}`);
    if (targets.length === 0) {
        run.log.warning(`This identity sees no subscription in ${settings.cloud.name}: grant it 'Reader' on the subscriptions to discover`);
    }
    const keeps = leftOutReason(settings.filter);
    const found = [];
    const queue = [...targets];
    const worker = async () => {
        for (let sub = queue.shift(); sub; sub = queue.shift()) {
            const shown = sub.displayName
                ? `'${escapeLog(sub.displayName)}' (${sub.subscriptionId})`
                : sub.subscriptionId;
            try {
                const vaults = await readAllPages(rate, token => plane.vaults(sub.subscriptionId, token));
                const kept = vaults.filter(v => keeps(v) === undefined).length;
                found.push(...vaults);
                report.subscriptions.push({
                    subscriptionId: sub.subscriptionId,
                    displayName: sub.displayName,
                    listed: vaults.length,
                    kept
                });
                run.log.info(`Subscription ${shown}: ${vaults.length} vaults listed, ${kept} kept by the filters`);
            }
            catch (error) {
                const reason = (sub.hidden ? 'not visible to this identity; ' : '') +
                    explainManagement(error, { ...scene, subscriptionId: sub.subscriptionId });
                report.unreadable.push({ subscriptionId: sub.subscriptionId, displayName: sub.displayName, reason });
                run.log.warning(`Subscription ${shown} not read: ${reason}`);
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(SUBSCRIPTION_CONCURRENCY, targets.length) }, worker));
    // Workers finish in any order: the report lists subscriptions as they were chosen.
    const order = new Map(targets.map((t, i) => [t.subscriptionId, i]));
    const byOrder = (a, b) => (order.get(a.subscriptionId) ?? 0) - (order.get(b.subscriptionId) ?? 0);
    report.subscriptions.sort(byOrder);
    report.unreadable.sort(byOrder);
    const selection = filterVaults(found, settings.filter);
    report.leftOut = selection.leftOut;
    report.groups = groupVaults(selection.selected, settings.maxJobs);
    report.vaults = report.groups.flatMap(g => g.vaults);
    run.log.info(`Found ${report.vaults.length} vaults (${found.length} listed) in ${report.groups.length} groups of at most ` +
        `${Math.max(0, ...report.groups.map(g => g.vaults.length))}`);
    if (report.vaults.length === 0 && report.unreadable.length === 0)
        run.log.warning('Discover found no vault: the matrix holds one placeholder group with no vaults');
    const tooLarge = outputSizeWarning(discoverOutputs(report));
    if (tooLarge)
        run.log.warning(tooLarge);
}
/**
 * The subscriptions to read: every visible one, or those named (in the order given). A named one
 * that is not visible is still tried: its refusal (403 with the missing role, 401 for another
 * tenant, 404 for a wrong id) tells the user more than "not visible" would.
 */
function chooseSubscriptions(visible, named) {
    if (named.length === 0)
        return [...visible];
    return named.map(id => {
        const found = visible.find(s => s.subscriptionId.toLowerCase() === id.toLowerCase());
        return found ?? { subscriptionId: id, displayName: '', hidden: true };
    });
}

;// CONCATENATED MODULE: ./src/operations/discover/settings.ts


/** The inputs discover takes; any other input with a value is refused. */
const DISCOVER_ACCEPTED = new Set([
    Inputs.Subscriptions,
    Inputs.VaultInclude,
    Inputs.VaultExclude,
    Inputs.VaultTags,
    Inputs.ResourceGroups,
    Inputs.Locations,
    Inputs.MaxJobs,
    Inputs.Environment,
    Inputs.Auth,
    Inputs.ClientId,
    Inputs.TenantId,
    Inputs.Audience,
    Inputs.FailOnError
]);
const settings_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VAULT_PATTERN = /^[0-9a-zA-Z*?-]+$/;
// Resource group names: letters, digits, '-', '_', '.', '(' and ')'; patterns may add '*' and '?'.
const GROUP_PATTERN = /^[\p{L}\p{N}_.()*?-]+$/u;
const LOCATION_PATTERN = /^[a-zA-Z0-9 *?]+$/;
function globs(p, name, raw, allowed, what) {
    const list = splitList(raw);
    for (const pattern of list) {
        if (!allowed.test(pattern))
            p.add(`Invalid pattern in '${name}': ${quote(pattern)}. ${what}`);
    }
    return list;
}
function tagLines(p, raw) {
    return splitLines(raw).flatMap(line => {
        const eq = line.indexOf('=');
        if (eq <= 0) {
            p.add(`Invalid line in '${Inputs.VaultTags}': ${quote(line)}. Expected key=value`);
            return [];
        }
        return [{ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() }];
    });
}
function subscriptionIds(p, raw) {
    const seen = new Set();
    const ids = [];
    for (const id of splitList(raw)) {
        if (!settings_GUID.test(id)) {
            p.add(`Invalid value in '${Inputs.Subscriptions}': ${quote(id)}. Expected a subscription id, a GUID such as 00000000-0000-0000-0000-000000000000`);
        }
        else if (!seen.has(id.toLowerCase())) {
            seen.add(id.toLowerCase());
            ids.push(id.toLowerCase());
        }
    }
    return ids;
}
/**
 * Parses discover's inputs (the action's, or the CLI's options mapped to input names). Throws one
 * error naming every bad input.
 */
function parseDiscoverSettings(source) {
    const { read, env } = source;
    const p = new Problems();
    refuseOtherInputs(read, p, 'discover', DISCOVER_ACCEPTED);
    const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud');
    const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
        clientId: env.AZURE_CLIENT_ID,
        tenantId: env.AZURE_TENANT_ID
    });
    const names = "Vault names hold letters, digits and '-'; patterns may add '*' and '?'";
    const include = globs(p, Inputs.VaultInclude, read(Inputs.VaultInclude), VAULT_PATTERN, names);
    const exclude = globs(p, Inputs.VaultExclude, read(Inputs.VaultExclude), VAULT_PATTERN, names);
    const both = include.filter(x => exclude.some(y => y.toLowerCase() === x.toLowerCase()));
    if (both.length > 0) {
        p.add(`Inputs '${Inputs.VaultInclude}' and '${Inputs.VaultExclude}' both list ${both.map(quote).join(', ')}; keep it in one`);
    }
    const settings = {
        operation: 'discover',
        cloud,
        identity,
        subscriptions: subscriptionIds(p, read(Inputs.Subscriptions)),
        filter: {
            include,
            exclude,
            tags: tagLines(p, read(Inputs.VaultTags)),
            resourceGroups: globs(p, Inputs.ResourceGroups, read(Inputs.ResourceGroups), GROUP_PATTERN, "Resource group names hold letters, digits, '-', '_', '.', '(' and ')'; patterns may add '*' and '?'"),
            locations: globs(p, Inputs.Locations, read(Inputs.Locations), LOCATION_PATTERN, "Expected a location such as 'westeurope' or 'West Europe'; patterns may add '*' and '?'")
        },
        maxJobs: integer(p, Inputs.MaxJobs, read(Inputs.MaxJobs), 1, MAX_MATRIX_JOBS) ?? MAX_MATRIX_JOBS,
        failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true)
    };
    p.throwIfAny();
    return settings;
}

;// CONCATENATED MODULE: ./src/operations/backup/settings.ts



/**
 * At most this many vaults at once: Key Vault's subscription-wide limit is five times a vault's, so
 * four vaults at full pace leave a fifth of the subscription's budget to everyone else.
 */
const MAX_VAULT_CONCURRENCY = 4;
/** The inputs a backup takes; any other input with a value is refused. */
const BACKUP_INPUTS = new Set([
    Inputs.Vault,
    Inputs.Environment,
    Inputs.Auth,
    Inputs.ClientId,
    Inputs.TenantId,
    Inputs.Audience,
    Inputs.Types,
    Inputs.Include,
    Inputs.Exclude,
    Inputs.Tags,
    Inputs.SkipDisabled,
    Inputs.ArtifactName,
    Inputs.RetentionDays,
    Inputs.CompressionLevel,
    Inputs.Upload,
    Inputs.Path,
    Inputs.Concurrency,
    Inputs.VaultConcurrency,
    Inputs.FailOnError,
    Inputs.DryRun
]);
const UPLOAD_ONLY = [Inputs.ArtifactName, Inputs.RetentionDays, Inputs.CompressionLevel];
/**
 * Parses a backup's inputs. `read` returns a raw input by its action.yml name; `env` supplies
 * RUNNER_TEMP (the default folder) and AZURE_CLIENT_ID / AZURE_TENANT_ID. Throws one error naming
 * every bad input.
 */
function parseBackupSettings(source) {
    const { read, env } = source;
    const p = new Problems();
    refuseOtherInputs(read, p, 'backup', BACKUP_INPUTS);
    const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud');
    const vaults = parseVaultLines(p, read(Inputs.Vault), cloud);
    const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
        clientId: env.AZURE_CLIENT_ID,
        tenantId: env.AZURE_TENANT_ID
    });
    const upload = bool(p, Inputs.Upload, read(Inputs.Upload), true);
    if (!upload) {
        for (const name of UPLOAD_ONLY) {
            if (read(name))
                p.add(`Inputs '${Inputs.Upload}: false' and '${name}' cannot be used together: nothing is uploaded`);
        }
    }
    const artifactTemplate = read(Inputs.ArtifactName) || 'keyvault-backup-{vault}';
    if (vaults.length > 1 && !artifactTemplate.includes('{vault}')) {
        p.add(`Input '${Inputs.ArtifactName}' must hold '{vault}' when '${Inputs.Vault}' lists several vaults: each vault gets its own artifact (e.g. kv-{vault}-nightly)`);
    }
    const artifactName = (vault) => artifactTemplate.replaceAll('{vault}', vault.name);
    const shown = artifactName(vaults[0] ?? { url: '', name: 'vault', knownHost: true });
    if (ARTIFACT_FORBIDDEN.test(shown)) {
        p.add(`Invalid value for '${Inputs.ArtifactName}': ${quote(artifactTemplate)}. It must not contain " : < > | * ? \\ / or line breaks`);
    }
    const retentionDays = integer(p, Inputs.RetentionDays, read(Inputs.RetentionDays), 1, 90);
    const compressionLevel = integer(p, Inputs.CompressionLevel, read(Inputs.CompressionLevel), 0, 9) ?? 0;
    const rawPath = read(Inputs.Path);
    // One vault: `path` is its folder. Several: `path` holds a folder per vault.
    const folderOf = (vault) => rawPath
        ? vaults.length > 1
            ? (0,external_node_path_.join)(absolutePath(rawPath), vault.name)
            : absolutePath(rawPath)
        : (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), 'keyvault-backup', vault.name);
    const settings = {
        operation: 'backup',
        targets: vaults.map(vault => ({ vault, path: folderOf(vault), artifactName: artifactName(vault) })),
        vaultConcurrency: integer(p, Inputs.VaultConcurrency, read(Inputs.VaultConcurrency), 1, MAX_VAULT_CONCURRENCY) ?? 1,
        identity,
        filter: parseFilter(read, p),
        concurrency: parseConcurrency(read, p),
        failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
        dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false),
        ...(upload && {
            upload: { ...(retentionDays !== undefined && { retentionDays }), compressionLevel }
        })
    };
    p.throwIfAny();
    return settings;
}
/** The `vault` input's lines: one vault each (a name or an https URL), no vault twice. */
function parseVaultLines(p, raw, cloud) {
    const lines = splitLines(raw);
    if (lines.length === 0)
        return [parseVault(p, Inputs.Vault, '', cloud)].filter((v) => !!v);
    const vaults = lines
        .map(line => parseVault(p, Inputs.Vault, line, cloud))
        .filter((v) => !!v);
    // By name: a vault's name is its folder and its artifact's, whichever URL reaches it.
    const seen = new Set();
    for (const vault of vaults) {
        const key = vault.name.toLowerCase();
        if (seen.has(key))
            p.add(`Input '${Inputs.Vault}' lists vault '${vault.name}' twice`);
        seen.add(key);
    }
    return vaults;
}

;// CONCATENATED MODULE: ./src/adapters/backup-source.ts






/** A manifest larger than this cannot come from a real vault (25,000 items take a few MiB). */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** lstat, or undefined when the path cannot be read (absent, most often). */
const statOf = (path) => (0,promises_.lstat)(path).catch(() => undefined);
/** Every file under root, relative with forward slashes (symlinks are listed, not followed). */
async function listFiles(root) {
    const entries = await (0,promises_.readdir)(root, { recursive: true, withFileTypes: true });
    return entries
        .filter(e => !e.isDirectory())
        .map(e => (0,external_node_path_.relative)(root, (0,external_node_path_.join)(e.parentPath, e.name)).split(external_node_path_.sep).join('/'));
}
/**
 * An artifact (or a folder it was downloaded to) holds `manifest.json` and `blobs.tar`: unpack the
 * blobs beside a copy of the manifest in a fresh folder under `workDir`, and return that folder.
 */
async function unpackBackup(root, workDir) {
    await (0,promises_.mkdir)(workDir, { recursive: true });
    const folder = await (0,promises_.mkdtemp)((0,external_node_path_.join)(workDir, 'unpacked-'));
    if ((await statOf((0,external_node_path_.join)(root, MANIFEST_FILE)))?.isFile()) {
        await (0,promises_.copyFile)((0,external_node_path_.join)(root, MANIFEST_FILE), (0,external_node_path_.join)(folder, MANIFEST_FILE));
    }
    return { folder, files: await unpackFiles((0,external_node_path_.join)(root, BLOBS_ARCHIVE), folder) };
}
/**
 * Everything restore checks before its first write: the blobs unpack safely (when they came as
 * `blobs.tar`), the manifest exists, is of a sane size, parses (known format version, names, paths
 * that stay in the folder), every blob is a regular file with the recorded size and SHA-256, and the
 * folder holds no file the manifest does not list. Throws one error naming every problem; the vault
 * is not touched. Returns the folder the blobs are read from.
 */
async function verifyForRestore(source, workDir) {
    const fail = (problems) => {
        throw new Error(`The backup in ${source} failed verification, so nothing was written to the vault:\n- ${problems.join('\n- ')}`);
    };
    let root = source;
    // Unpacking measured every blob (and made only regular files in a fresh folder): no second read.
    let measured;
    if ((await statOf((0,external_node_path_.join)(source, BLOBS_ARCHIVE)))?.isFile()) {
        const extra = (await listFiles(source)).filter(f => f !== MANIFEST_FILE && f !== BLOBS_ARCHIVE);
        if (extra.length > 0)
            fail(extra.map(f => `${f} is not listed in the manifest`));
        try {
            ;
            ({ folder: root, files: measured } = await unpackBackup(source, workDir));
        }
        catch (error) {
            fail([`${BLOBS_ARCHIVE}: ${errorMessage(error)}`]);
        }
    }
    const manifestPath = (0,external_node_path_.join)(root, MANIFEST_FILE);
    const info = await statOf(manifestPath);
    if (!info?.isFile())
        fail([`${MANIFEST_FILE} is missing (is this a keyvault-backup folder or artifact?)`]);
    if (info.size > MAX_MANIFEST_BYTES) {
        fail([`${MANIFEST_FILE} is ${info.size} bytes, more than any real backup (${MAX_MANIFEST_BYTES})`]);
    }
    let verification;
    try {
        verification = await verifyBackupFolder(root, measured);
    }
    catch (error) {
        return fail([errorMessage(error)]);
    }
    const listed = new Set([MANIFEST_FILE, ...verification.manifest.items.map(i => i.file)]);
    const extra = (await listFiles(root)).filter(f => !listed.has(f));
    const problems = [...verification.problems, ...extra.map(f => `${f} is not listed in the manifest`)];
    if (problems.length > 0)
        fail(problems);
    return { manifest: verification.manifest, manifestSha256: verification.manifestSha256, root };
}
/** Reads one blob and checks it against the manifest again, so a file swapped after verification is caught. */
async function readVerifiedBlob(root, item) {
    const bytes = await (0,promises_.readFile)(resolveInside(root, item.file));
    if (bytes.length !== item.size || sha256Hex(bytes) !== item.sha256) {
        throw new Error(`${item.file} changed since it was verified; refusing to restore it`);
    }
    return bytes;
}

;// CONCATENATED MODULE: ./src/operations/restore/source.ts





/**
 * Fetches the backup the settings name and verifies it (files, sizes, hashes, the manifest, the
 * artifact's digest, `manifest-sha256` when given). Blobs are downloaded and unpacked into the
 * run's temporary folders, which the lifecycle removes when the run ends. `latest` takes the newest
 * complete backup uploaded by this repository's own runs on the trusted branch, passing over (and
 * naming) newer ones that are incomplete, from forks or from other branches.
 */
async function fetchBackup(run, settings) {
    const source = settings.source;
    if (source.kind === 'path') {
        const verified = await verifyForRestore(source.path, await run.tempDir('keyvault-restore-unpacked'));
        return { ...verified, description: `folder ${source.path}`, passedOver: [] };
    }
    const artifact = source.artifact;
    if (artifact.kind !== 'latest') {
        const folder = await run.tempDir('keyvault-restore-download');
        const downloaded = await downloadBackup(artifact, folder);
        const where = artifact.kind === 'run' ? `run ${artifact.runId} in ${artifact.repository}` : 'this run';
        const verified = await verifyForRestore(folder, await run.tempDir('keyvault-restore-unpacked'));
        return {
            ...verified,
            description: `artifact '${artifact.name}' of ${where} (id ${downloaded.id}, digest ${downloaded.digest} verified)`,
            passedOver: []
        };
    }
    const { candidates, passedOver, branch } = await findTrustedArtifacts(artifact.name, artifact.repository, artifact.token, artifact.branch);
    for (const candidate of candidates) {
        const folder = await run.tempDir('keyvault-restore-download');
        const runSource = { ...artifact, kind: 'run', runId: candidate.runId };
        const downloaded = await downloadBackup(runSource, folder);
        const verified = await verifyForRestore(folder, await run.tempDir('keyvault-restore-unpacked'));
        if (!verified.manifest.complete) {
            const missing = missingFromBackup(verified.manifest);
            passedOver.push({
                id: downloaded.id,
                runId: candidate.runId,
                createdAt: candidate.createdAt,
                reason: `incomplete backup (${missing.length} missing: ${missing[0]}${missing.length > 1 ? ', …' : ''})`
            });
            continue;
        }
        const newer = passedOver.filter(p => p.id > downloaded.id);
        for (const skipped of newer) {
            run.log.info(`Passed over artifact ${skipped.id}${skipped.runId ? ` of run ${skipped.runId}` : ''}: ${escapeLog(skipped.reason)}`);
        }
        return {
            ...verified,
            description: `the newest complete artifact '${artifact.name}' of branch ${branch === '*' ? '(any)' : `'${branch}'`} in ${artifact.repository}: ` +
                `run ${candidate.runId} (id ${downloaded.id}, digest ${downloaded.digest} verified)`,
            passedOver: newer
        };
    }
    const reasons = passedOver.map(p => `artifact ${p.id}${p.runId ? ` (run ${p.runId})` : ''}: ${p.reason}`);
    throw new StepError(`No trusted, complete artifact named '${artifact.name}' was found in ${artifact.repository}` +
        (reasons.length ? `; passed over:\n- ${reasons.join('\n- ')}` : ''));
}

;// CONCATENATED MODULE: ./src/operations/restore/summary.ts




/** A new, empty report. */
function newRestoreReport(targetVault, dryRun, policy) {
    return {
        targetVault,
        source: '',
        dryRun,
        policy,
        passedOver: [],
        notInBackup: [],
        filteredOut: 0,
        plan: [],
        outcomes: []
    };
}
/** Counts outcomes (skipping items not finished yet). */
function tallyRestore(outcomes) {
    const totals = { restored: 0, recovered: 0, skipped: 0, failed: 0, planned: 0 };
    for (const o of outcomes)
        if (o)
            totals[o.status]++;
    return totals;
}
/** The restore outputs: counts and the plan file. A dry run counts nothing as restored. */
function restoreOutputs(report) {
    const totals = tallyRestore(report.outcomes);
    return {
        [Outputs.Restored]: String(totals.restored),
        [Outputs.Recovered]: String(totals.recovered),
        [Outputs.Skipped]: String(totals.skipped),
        [Outputs.Failed]: String(totals.failed),
        [Outputs.PlanPath]: report.planPath ?? ''
    };
}
/** The failed restores in one message, or undefined. */
function restoreFailures(report) {
    const failed = report.outcomes.filter(o => o?.status === 'failed');
    return failureMessage(failed, report.plan.length, 'failed to restore');
}
/** The plan as the JSON file behind the `plan-path` output. */
function planDocument(report) {
    return {
        targetVault: report.targetVault,
        source: report.source,
        manifest: report.manifest,
        ...(report.notInBackup.length > 0 && { notInBackup: report.notInBackup }),
        policy: report.policy,
        dryRun: report.dryRun,
        items: report.plan.map((entry, i) => {
            // An outcome carries the state and decision as execution found them (e.g. "being deleted").
            const outcome = report.outcomes[i];
            const final = outcome ?? entry;
            const changed = final.state !== entry.state || final.decision.action !== entry.decision.action;
            return {
                type: entry.type,
                name: entry.name,
                state: final.state,
                action: final.decision.action,
                reason: final.decision.reason,
                ...(changed && { planned: { state: entry.state, action: entry.decision.action } }),
                outcome: outcome?.status ?? 'pending',
                ...(outcome?.reason && { outcomeReason: outcome.reason })
            };
        })
    };
}
/** The plan as log lines, printed before anything is written. */
function planLines(plan) {
    return plan.map(e => `  ${singular(e.type)} '${escapeLog(e.name)}': ${e.state} -> ${e.decision.action} (${escapeLog(e.decision.reason)})`);
}
/** The job summary: source, policies, totals, and the table item / state found / decision / outcome. */
function renderRestoreSummary(report, limit = SUMMARY_ITEM_LIMIT) {
    const t = tallyRestore(report.outcomes);
    const lines = [`## Key Vault restore${report.dryRun ? ' (dry run: plan only)' : ''}`, ''];
    lines.push(`Target: \`${escapeMarkdown(report.targetVault)}\` · Source: ${escapeMarkdown(report.source)}`, '');
    if (report.fatal)
        lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '');
    if (report.notInBackup.length > 0) {
        lines.push(`> **Partial backup restored** (\`allow-partial: true\`). Not in the backup, so not restored: ` +
            escapeMarkdown(report.notInBackup.slice(0, limit).join('; ')) +
            (report.notInBackup.length > limit ? ` …and ${report.notInBackup.length - limit} more` : ''), '');
    }
    if (report.manifest) {
        // Manifest text is free text: it goes in a table cell, escaped, never on a line of its own.
        const m = report.manifest;
        lines.push('| Backup of | Taken | Items | Complete | Manifest SHA-256 |', '| --- | --- | ---: | --- | --- |', `| ${escapeMarkdown(m.sourceVault)} | ${escapeMarkdown(m.createdAt)} | ${m.items} | ${m.complete ? 'yes' : '**no**'} | ${escapeMarkdown(m.sha256)} |`, '');
    }
    if (report.passedOver.length > 0) {
        lines.push('Newer artifacts passed over:', '');
        for (const p of report.passedOver.slice(0, 20)) {
            lines.push(`- artifact ${p.id}${p.runId ? ` (run ${p.runId})` : ''}: ${escapeMarkdown(p.reason)}`);
        }
        lines.push('');
    }
    lines.push(`Policies: if-exists \`${report.policy.ifExists}\`, if-deleted \`${report.policy.ifDeleted}\``, '');
    if (report.plan.length > 0) {
        lines.push(`Restored ${t.restored} · recovered ${t.recovered} · skipped ${t.skipped} · failed ${t.failed}` +
            (t.planned ? ` · planned ${t.planned}` : '') +
            (report.filteredOut ? ` · ${report.filteredOut} left out by the filters` : ''), '');
        lines.push('| Type | Item | State found | Decision | Outcome |', '| --- | --- | --- | --- | --- |');
        for (const [i, e] of report.plan.slice(0, limit).entries()) {
            const o = report.outcomes[i];
            const outcome = o ? `${o.status}${o.reason ? `: ${o.reason}` : ''}` : 'pending';
            lines.push(`| ${e.type} | ${escapeMarkdown(e.name)} | ${escapeMarkdown(o?.state ?? e.state)} | ` +
                `${escapeMarkdown((o?.decision ?? e.decision).action)} | ${escapeMarkdown(outcome)} |`);
        }
        if (report.plan.length > limit)
            lines.push('', `…and ${report.plan.length - limit} more items (see the plan file).`);
        lines.push('');
    }
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./src/operations/restore/job.ts













/** `operation: restore` (and `keyvault-backup restore`). */
const restoreOperation = {
    name: 'restore',
    newReport: settings => newRestoreReport(settings.vault.url, settings.dryRun, settings.policy),
    run: restoreVault,
    outputs: restoreOutputs,
    summary: report => renderRestoreSummary(report),
    failures: restoreFailures
};
/** What the target must accept for these policies: nothing is deleted, purged or recovered otherwise. */
function restoreCapabilities(policy) {
    return [
        'list',
        'restore',
        ...(policy.ifExists === 'replace' ? ['delete', 'purge'] : []),
        ...(policy.ifDeleted === 'purge' ? ['purge'] : []),
        ...(policy.ifDeleted === 'recover' ? ['recover'] : [])
    ];
}
/**
 * Restores a backup into the target: fetch and verify it (nothing is written to the vault if any
 * check fails, or if it is incomplete without `allow-partial`), select, read the target's state,
 * plan, publish the plan (log, summary, plan file), then (unless a dry run) execute and verify.
 */
async function restoreVault(run, settings, report) {
    const backup = await fetchBackup(run, settings);
    const { manifest } = backup;
    report.source = backup.description;
    report.passedOver = backup.passedOver;
    report.manifest = {
        sourceVault: manifest.source.vaultUrl,
        createdAt: manifest.createdAt,
        sha256: backup.manifestSha256,
        items: manifest.items.length,
        complete: manifest.complete
    };
    if (settings.expectedManifestSha256 && settings.expectedManifestSha256 !== backup.manifestSha256) {
        throw new StepError(`The backup's manifest.json has SHA-256 ${backup.manifestSha256}, but 'manifest-sha256' expects ` +
            `${settings.expectedManifestSha256}: this is not the backup you named, so nothing was restored`);
    }
    run.log.info(`Verified the backup of ${escapeLog(manifest.source.vaultUrl)}: ${manifest.items.length} items, every SHA-256 matches`);
    if (!manifest.complete) {
        const missing = missingFromBackup(manifest);
        if (!settings.allowPartial) {
            throw new StepError(`The backup is incomplete, so nothing was restored. Not in it:\n- ${missing.map(escapeLog).join('\n- ')}\n` +
                `Restore a complete backup, or set 'allow-partial: true' to restore what it holds.`);
        }
        report.notInBackup = missing;
        run.log.warning(`Restoring an incomplete backup (allow-partial): ${missing.length} entries are not in it and will not be restored`);
    }
    const selection = selectItems(manifest.items.map(i => ({ ...i, managed: false })), settings.filter);
    const chosen = new Set(selection.selected.map(i => `${i.type}/${i.name}`));
    const items = manifest.items.filter(i => chosen.has(`${i.type}/${i.name}`));
    report.filteredOut = manifest.items.length - items.length;
    report.planPath = (0,external_node_path_.join)(settings.planDir, `plan-${settings.vault.name}.json`);
    const plan = new PlanFile(report.planPath, () => planDocument(report), run.clock, run.log);
    if (items.length === 0) {
        run.log.warning(`This restore restores nothing: the backup holds ${manifest.items.length} items and the filters select none of them`);
        await plan.write();
        return;
    }
    const connection = await run.connect(settings.vault, settings.identity, {
        allow: restoreCapabilities(settings.policy),
        firstType: items[0].type,
        concurrency: settings.concurrency
    });
    await checkSecurityWorld(run, settings, manifest, connection);
    const vault = new KeyVaultWriter(connection.clients);
    const target = {
        vault,
        rate: connection.rate,
        deleted: deletedViews(vault, connection.rate)
    };
    const { entries } = await planRestore(target, items, settings.policy).catch((error) => {
        throw new StepError(`Reading the target failed: ${connection.explain(error, { operation: 'list' })}`);
    });
    report.plan = entries;
    run.log.info(`Restore plan for ${escapeLog(settings.vault.url)} (${items.length} items, ${report.filteredOut} left out by the filters):`);
    for (const line of planLines(entries))
        run.log.info(line);
    await plan.write();
    await run.publish();
    if (settings.dryRun) {
        report.outcomes = entries.map(e => ({ ...e, status: 'planned' }));
        await plan.write();
        return;
    }
    report.outcomes = new Array(entries.length);
    try {
        report.outcomes = await executeRestore({
            ...target,
            readBlob: item => readVerifiedBlob(backup.root, item),
            poll: defaultPollSettings(run.clock, run.sleep),
            log: run.log,
            sourceVault: manifest.source.vaultUrl,
            targetVault: settings.vault.url,
            onOutcome: (i, outcome) => {
                report.outcomes[i] = outcome;
                plan.soon();
            }
        }, items, entries, settings.policy);
    }
    catch (error) {
        if (error instanceof ForeignWorldError) {
            report.outcomes = error.outcomes;
            await plan.write();
            throw new StepError(error.message);
        }
        throw error;
    }
    run.logRateControl(connection);
    if (settings.verify) {
        const verified = await verifyRestored(target, items, report.outcomes);
        if (verified.failed === 0) {
            run.log.info(`Verified: the ${verified.checked} restored items exist with the version counts the manifest records`);
        }
        else {
            run.log.warning(`Verification failed for ${verified.failed} of ${verified.checked} restored items (see the failures)`);
        }
    }
    await plan.write();
}
/**
 * Refuses, before any write, a target outside the backup's security world: another geography (the
 * regions the vaults answer from place them) or, when Resource Manager lets the identity read the
 * target's resource, another subscription. Without that permission the subscription is left to the
 * service (its refusal at the first restore is explained then), said once in the log.
 */
async function checkSecurityWorld(run, settings, manifest, connection) {
    const source = manifest.source;
    const sourceGeography = source.geography ?? geographyOf(source.location);
    const targetRegion = connection.region();
    const targetGeography = geographyOf(targetRegion);
    const refuse = (what) => {
        throw new StepError(`The target vault '${escapeLog(settings.vault.name)}' is in ${what}: a Key Vault backup restores only into a vault ` +
            `of the same Azure subscription and the same geography, so nothing was restored. To bring these items there, ` +
            `use 'operation: copy' (values vault to vault, across subscriptions, geographies and tenants).`);
    };
    if (sourceGeography && targetGeography && sourceGeography !== targetGeography) {
        refuse(`geography ${targetGeography} (${targetRegion}), the backup's vault '${escapeLog(source.vaultName)}' in ${sourceGeography}` +
            (source.location ? ` (${escapeLog(source.location)})` : ''));
    }
    const found = await run.vaultResource(settings.vault, settings.identity);
    if ('unreadable' in found) {
        run.log.info(`The target's subscription could not be read (${found.unreadable}); the service checks it at the first restore`);
        return;
    }
    if (!source.subscriptionId) {
        run.log.info("The backup does not record its vault's subscription; the service checks it at the first restore");
        return;
    }
    if (found.resource.subscriptionId.toLowerCase() !== source.subscriptionId.toLowerCase()) {
        refuse(`subscription ${found.resource.subscriptionId}, the backup's vault '${escapeLog(source.vaultName)}' in subscription ${escapeLog(source.subscriptionId)}`);
    }
}

;// CONCATENATED MODULE: ./src/operations/restore/settings.ts




/** The inputs a restore takes; any other input with a value is refused. */
const RESTORE_INPUTS = new Set([
    Inputs.Vault,
    Inputs.Environment,
    Inputs.Auth,
    Inputs.ClientId,
    Inputs.TenantId,
    Inputs.Audience,
    Inputs.Types,
    Inputs.Include,
    Inputs.Exclude,
    Inputs.Tags,
    Inputs.ArtifactName,
    Inputs.RunId,
    Inputs.RunBranch,
    Inputs.Repository,
    Inputs.GithubToken,
    Inputs.Path,
    Inputs.ManifestSha256,
    Inputs.AllowPartial,
    Inputs.IfExists,
    Inputs.IfDeleted,
    Inputs.Verify,
    Inputs.Concurrency,
    Inputs.FailOnError,
    Inputs.DryRun
]);
const RUN_ID = /^[1-9]\d{0,19}$/;
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const BRANCH = /^[^\s~^:?*[\\]+$/;
/**
 * Parses a restore's inputs: the target, the source (`path`, or `artifact-name` with `run-id`,
 * `run-branch`, `repository`, `github-token`), the two conflict policies and the checks.
 * Contradictions are reported together. `env` supplies GITHUB_REPOSITORY, RUNNER_TEMP and the
 * AZURE_* fallbacks.
 */
function parseRestoreSettings(source) {
    const { read, env } = source;
    const p = new Problems();
    refuseOtherInputs(read, p, 'restore', RESTORE_INPUTS);
    const cloud = parseCloud(p, Inputs.Environment, read(Inputs.Environment), 'AzureCloud');
    const vault = parseVault(p, Inputs.Vault, read(Inputs.Vault), cloud);
    const identity = parseIdentity(source, p, SOURCE_IDENTITY, cloud, {
        clientId: env.AZURE_CLIENT_ID,
        tenantId: env.AZURE_TENANT_ID
    });
    const backupSource = parseSource(read, env, p);
    const rawSha = read(Inputs.ManifestSha256);
    if (rawSha && !SHA256.test(rawSha)) {
        p.add(`Invalid value for '${Inputs.ManifestSha256}': ${quote(rawSha)}. Expected the 64 hex digits of the backup step's 'manifest-sha256' output`);
    }
    const settings = {
        operation: 'restore',
        vault: vault ?? { url: '', name: '', knownHost: true },
        identity,
        filter: parseFilter(read, p),
        concurrency: parseConcurrency(read, p),
        failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
        dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false),
        source: backupSource,
        policy: {
            ifExists: oneOf(p, Inputs.IfExists, read(Inputs.IfExists), IF_EXISTS, 'skip'),
            ifDeleted: oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), IF_DELETED, 'fail')
        },
        verify: bool(p, Inputs.Verify, read(Inputs.Verify), true),
        ...(rawSha && { expectedManifestSha256: rawSha.toLowerCase() }),
        allowPartial: bool(p, Inputs.AllowPartial, read(Inputs.AllowPartial), false),
        planDir: (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), 'keyvault-restore')
    };
    p.throwIfAny();
    return settings;
}
function parseSource(read, env, p) {
    const rawPath = read(Inputs.Path);
    const name = read(Inputs.ArtifactName);
    const runId = read(Inputs.RunId);
    const runBranch = read(Inputs.RunBranch);
    const repository = read(Inputs.Repository);
    const token = read(Inputs.GithubToken);
    if (rawPath) {
        for (const other of [Inputs.ArtifactName, Inputs.RunId, Inputs.Repository]) {
            if (read(other)) {
                p.add(`Inputs '${Inputs.Path}' and '${other}' cannot be used together: restore reads either a local folder ('path') or an artifact ('${Inputs.ArtifactName}')`);
            }
        }
    }
    else if (!name) {
        p.add(`operation 'restore' needs a source: set '${Inputs.ArtifactName}' (the backup artifact) or '${Inputs.Path}' (a local backup folder)`);
    }
    if (ARTIFACT_FORBIDDEN.test(name)) {
        p.add(`Invalid value for '${Inputs.ArtifactName}': ${quote(name)}. It must not contain " : < > | * ? \\ / or line breaks`);
    }
    if (runId && runId !== 'latest' && !RUN_ID.test(runId)) {
        p.add(`Invalid value for '${Inputs.RunId}': ${quote(runId)}. Expected a run id (digits) or 'latest'`);
    }
    if (runBranch && runId !== 'latest') {
        p.add(`Input '${Inputs.RunBranch}' needs '${Inputs.RunId}: latest': it says which branch's runs 'latest' trusts`);
    }
    if (runBranch && runBranch !== '*' && !BRANCH.test(runBranch)) {
        p.add(`Invalid value for '${Inputs.RunBranch}': ${quote(runBranch)}. Expected a branch name, or '*' for any branch`);
    }
    if (repository && !REPOSITORY.test(repository)) {
        p.add(`Invalid value for '${Inputs.Repository}': ${quote(repository)}. Expected owner/name`);
    }
    if (repository && !runId && !rawPath) {
        p.add(`Input '${Inputs.Repository}' needs '${Inputs.RunId}' (a run id or 'latest'): the current run belongs to this repository`);
    }
    if (runId && !token && !rawPath) {
        p.add(`Input '${Inputs.RunId}' needs '${Inputs.GithubToken}' (a token with 'actions: read'), e.g. github-token: \${{ github.token }}`);
    }
    const repo = repository || env.GITHUB_REPOSITORY || '';
    if (rawPath)
        return { kind: 'path', path: absolutePath(rawPath) };
    if (runId === 'latest') {
        return {
            kind: 'artifact',
            artifact: { kind: 'latest', name, repository: repo, token, ...(runBranch && { branch: runBranch }) }
        };
    }
    if (runId) {
        return {
            kind: 'artifact',
            artifact: { kind: 'run', name, runId: Number(runId), repository: repo, token }
        };
    }
    return { kind: 'artifact', artifact: { kind: 'current-run', name } };
}

;// CONCATENATED MODULE: ./src/main.ts

















/** The runner as the lifecycle's host: its log, outputs, job summary and OIDC. */
const runner = {
    log: { info: core/* info */.pq, warning: message => core/* warning */.$e(message), debug: core/* debug */.Yz },
    auth: runnerEnvironment,
    clock: systemClock,
    sleep: realSleep,
    tempRoot: process.env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(),
    setOutputs: outputs => Object.entries(outputs).forEach(([name, value]) => core/* setOutput */.uH(name, value)),
    writeSummary: writeJobSummary,
    fail: message => core/* setFailed */.C1(message)
};
/** The action: read and check every input first, then run the chosen operation. */
async function run() {
    routeSdkLog(core/* debug */.Yz);
    const token = core/* getInput */.V4(Inputs.GithubToken);
    if (token)
        core/* setSecret */.Pq(token);
    const source = { read: name => core/* getInput */.V4(name), env: process.env };
    try {
        const p = new Problems();
        const operations = ['backup', 'restore', 'copy', 'discover'];
        const operation = oneOf(p, Inputs.Operation, source.read(Inputs.Operation), operations, 'backup');
        p.throwIfAny();
        if (operation === 'backup')
            await runOperation(runner, backupOperation, parseBackupSettings(source));
        else if (operation === 'restore')
            await runOperation(runner, restoreOperation, parseRestoreSettings(source));
        else if (operation === 'copy')
            await runOperation(runner, copyOperation, parseCopySettings(source));
        else
            await runOperation(runner, discoverOperation, parseDiscoverSettings(source));
    }
    catch (error) {
        // Only input errors reach here: runOperation reports everything else itself.
        core/* setFailed */.C1(errorMessage(error));
    }
}


/***/ })

};
