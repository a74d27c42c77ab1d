export const id = 692;
export const ids = [692];
export const modules = {

/***/ 57692:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  run: () => (/* binding */ run)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 11 modules
var core = __webpack_require__(91659);
// EXTERNAL MODULE: ./node_modules/@azure/logger/dist/esm/index.js + 1 modules
var esm = __webpack_require__(7567);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(57975);
;// CONCATENATED MODULE: ./src/adapters/sdk-log.ts


const BEARER = /\b(Bearer|PoP)\s+[^\s"',;]+/gi;
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const FORM_SECRET = /\b(client_assertion|client_secret|access_token|refresh_token|id_token)(["']?\s*[:=]\s*["']?)[^\s"'&,}]+/gi;
// Backup blobs are long base64url runs; nothing else the SDK logs looks like that.
const LONG_BASE64 = /[A-Za-z0-9_-]{200,}={0,2}/g;
/** Replaces tokens, credentials and blob-like runs in a log line. */
function redactCredentials(text) {
    return text
        .replace(BEARER, '$1 [redacted]')
        .replace(JWT, '[redacted JWT]')
        .replace(FORM_SECRET, '$1$2[redacted]')
        .replace(LONG_BASE64, '[redacted]');
}
/**
 * Users turn on AZURE_LOG_LEVEL to debug sign-in or network trouble. The SDK then prints raw objects
 * to stderr, sockets with their `authorization: Bearer ...` headers among them. Route its log
 * through `write` (core.debug in the action) with credentials redacted, so no level of SDK logging
 * can print a token or a blob.
 */
function routeSdkLog(write) {
    esm/* AzureLogger */.i2.log = (...args) => write(redactCredentials((0,external_node_util_.format)(...args)));
}

// EXTERNAL MODULE: ./node_modules/@actions/artifact/lib/artifact.js + 186 modules
var lib_artifact = __webpack_require__(34725);
// EXTERNAL MODULE: ./node_modules/@actions/http-client/lib/index.js + 1 modules
var lib = __webpack_require__(44942);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./src/core/types.ts
/** Every item type, in the order backup and reports use. */
const ITEM_TYPES = ['secrets', 'keys', 'certificates'];
/** The real clock and sleep, for production wiring. */
const systemClock = { now: () => Date.now() };
/** A real `setTimeout` sleep. */
const realSleep = ms => new Promise(resolve => setTimeout(resolve, ms));

;// CONCATENATED MODULE: ./src/core/manifest.ts


/** Bumped on any change restore must know about; restore refuses formats it does not know. */
const MANIFEST_FORMAT_VERSION = 1;
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
    if (m.formatVersion !== MANIFEST_FORMAT_VERSION) {
        problems.push(`unsupported manifest format version ${JSON.stringify(m.formatVersion)} (expected ${MANIFEST_FORMAT_VERSION})`);
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
    if (problems.length > 0)
        throw new Error(`manifest.json is invalid: ${problems.join('; ')}`);
    const manifest = m;
    return { ...manifest, skipped: manifest.skipped ?? [], failed: manifest.failed ?? [] };
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
 * paths), its SHA-256 matches when one is expected, and every blob has the recorded size and hash.
 * `measured` gives sizes and hashes already taken (while unpacking) instead of reading the files.
 */
async function verifyBackupFolder(root, expectedManifestSha256, measured) {
    const text = await (0,promises_.readFile)((0,external_node_path_.join)(root, MANIFEST_FILE), 'utf8');
    const manifestSha256 = sha256Hex(text);
    const problems = [];
    if (expectedManifestSha256 && expectedManifestSha256.toLowerCase() !== manifestSha256) {
        problems.push(`manifest.json has SHA-256 ${manifestSha256}, expected ${expectedManifestSha256}`);
    }
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
function header(name, size, type, prefix = '', mtime = 0) {
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
        return [header(path, size, '0', '', mtime)];
    const cut = path.lastIndexOf('/');
    if (cut > 0 && cut <= 155 && Buffer.byteLength(path.slice(cut + 1)) <= 100) {
        return [header(path.slice(cut + 1), size, '0', path.slice(0, cut), mtime)];
    }
    const body = ` path=${path}\n`;
    let length = body.length + 1;
    while (`${length}${body}`.length !== length)
        length++;
    const record = Buffer.from(`${length}${body}`);
    return [
        header('PaxHeader', record.length, 'x', '', mtime),
        padded(record),
        header(path.slice(-100), size, '0', '', mtime)
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
async function uploadBackup(root, blobs, settings, env = process.env, client = new lib_artifact/* DefaultArtifactClient */.t9()) {
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
/**
 * Looks up the run of the newest artifact with this name in the repository (REST, newest first).
 * Uses @actions/http-client, which honours the runner's proxy settings as the artifact client does.
 */
async function findLatestRun(name, repository, token, env = process.env) {
    const api = env.GITHUB_API_URL ?? 'https://api.github.com';
    const url = `${api}/repos/${repository}/actions/artifacts?name=${encodeURIComponent(name)}&per_page=30`;
    const response = await new lib/* HttpClient */.Qq('keyvault-backup').get(url, {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28'
    });
    const status = response.message.statusCode ?? 0;
    const text = await response.readBody();
    if (status < 200 || status >= 300) {
        const hint = status === 401 || status === 403 || status === 404;
        throw new Error(`listing artifacts named '${name}' in ${repository} failed with HTTP ${status}` +
            (hint ? ": check 'repository' and that 'github-token' has 'actions: read'" : ''));
    }
    const body = JSON.parse(text);
    const newest = (body.artifacts ?? []).find(a => !a.expired && a.workflow_run?.id);
    if (!newest)
        throw new Error(`no unexpired artifact named '${name}' was found in ${repository}`);
    return newest.workflow_run.id;
}
/**
 * Downloads a backup artifact into `path` (a fresh folder) and checks the zip's SHA-256 against the
 * digest GitHub recorded at upload. An artifact without a recorded digest is refused: we could not
 * tell a replaced one from the original.
 */
async function downloadBackup(source, path, env = process.env, client = new lib_artifact/* DefaultArtifactClient */.t9()) {
    let findBy;
    let runId;
    if (source.kind !== 'current-run') {
        const [repositoryOwner, repositoryName] = source.repository.split('/');
        runId =
            source.kind === 'run'
                ? source.runId
                : await findLatestRun(source.name, source.repository, source.token, env);
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

// EXTERNAL MODULE: ./node_modules/@azure/identity/dist/esm/index.js + 165 modules
var dist_esm = __webpack_require__(73016);
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
/** Formats tags as `k=v, k=v`, escaped for a log line. */
function formatTags(tags) {
    return Object.entries(tags)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
}

;// CONCATENATED MODULE: ./src/core/errors.ts

/** The message of anything thrown, including non-Error values, on one safe line. */
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
// Built-in roles that grant each data action family (besides Key Vault Administrator).
const OFFICER_ROLE = {
    secrets: 'Key Vault Secrets Officer',
    keys: 'Key Vault Crypto Officer',
    certificates: 'Key Vault Certificates Officer'
};
/** The data action an operation needs on an RBAC vault. */
function requiredDataAction(type, operation) {
    const verb = operation === 'list'
        ? type === 'secrets'
            ? 'readMetadata/action'
            : 'read'
        : operation === 'delete'
            ? 'delete'
            : `${operation}/action`;
    return `Microsoft.KeyVault/vaults/${type}/${verb}`;
}
/**
 * Explains a failed vault call in words a user can act on. A 403 names the missing data action (or
 * access-policy permission) and the role that grants it, taken from the service's own message when
 * it says (`Action: '...'` on RBAC vaults, `does not have secrets backup permission` on access-policy
 * vaults) and otherwise from the operation we attempted.
 */
function describeVaultError(error, type, operation) {
    const shape = (typeof error === 'object' && error !== null ? error : {});
    const message = escapeLog(errorMessage(error).split('\n')[0]);
    if (shape.statusCode !== 403) {
        const status = shape.statusCode ? ` (${shape.statusCode}${shape.code ? ` ${shape.code}` : ''})` : '';
        return `${message}${status}`;
    }
    if (/associated with a certificate/i.test(message)) {
        return `${message} (403: back up the certificate instead; it covers this item)`;
    }
    const policy = /does not have (\w+) (\w+) permission/i.exec(message);
    if (policy) {
        const [, family, permission] = policy;
        return (`Permission denied: the vault's access policy for this identity lacks the '${permission}' permission ` +
            `on ${family}. Add it under the vault's Access policies, or move the vault to RBAC and grant ` +
            `'${OFFICER_ROLE[type]}'. Service said: ${message}`);
    }
    const action = /Action:\s*'([^']+)'/i.exec(message)?.[1] ?? requiredDataAction(type, operation);
    return (`Permission denied: the identity lacks the data action '${action}' on this vault. Grant the role ` +
        `'${OFFICER_ROLE[type]}' (or 'Key Vault Administrator'), or a custom role with that data action ` +
        `(see the README's least-privilege role). Service said: ${message}`);
}

;// CONCATENATED MODULE: ./src/adapters/auth.ts




const runnerEnvironment = {
    getIDToken: audience => core/* getIDToken */.V9(audience),
    setSecret: secret => core/* setSecret */.Pq(secret),
    env: process.env
};
/** Reads a JWT's payload without verifying it: only to tell the user which claims Entra saw. */
function decodeJwtClaims(jwt) {
    try {
        return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    }
    catch {
        return {};
    }
}
/**
 * Creates the credential for the chosen `auth` method. For OIDC the GitHub assertion is fetched
 * afresh on every token request, so a long backup never outlives its 5-10 minute assertion. Every
 * access token is registered as a secret before the SDK (or anything else) can print it.
 */
function createCredential(settings, runner = runnerEnvironment) {
    let lastClaims;
    let inner;
    const authorityHost = settings.cloud.authorityHost;
    switch (settings.method) {
        case 'oidc': {
            if (!runner.env.ACTIONS_ID_TOKEN_REQUEST_URL || !runner.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
                throw new Error("auth 'oidc' needs a GitHub OIDC token, but this job may not request one: add " +
                    "'permissions: id-token: write' to the job (or workflow). Otherwise use auth 'azure-cli' or 'managed-identity'.");
            }
            const getAssertion = async () => {
                const token = await runner.getIDToken(settings.audience);
                runner.setSecret(token);
                lastClaims = decodeJwtClaims(token);
                return token;
            };
            inner = new dist_esm/* ClientAssertionCredential */.XI(settings.tenantId ?? '', settings.clientId ?? '', getAssertion, {
                authorityHost
            });
            break;
        }
        case 'azure-cli':
            inner = new dist_esm/* AzureCliCredential */.nG(settings.tenantId ? { tenantId: settings.tenantId } : {});
            break;
        case 'managed-identity':
            inner = settings.clientId
                ? new dist_esm/* ManagedIdentityCredential */.NC({ clientId: settings.clientId })
                : new dist_esm/* ManagedIdentityCredential */.NC();
            break;
    }
    return {
        credential: maskingCredential(inner, runner.setSecret),
        explainError: error => explainSignInError(error, settings, lastClaims)
    };
}
/** DefaultAzureCredential for the CLI (environment, workload identity, managed identity, az login). */
function createDefaultCredential(cloud) {
    return new DefaultAzureCredential({ authorityHost: cloud.authorityHost });
}
/** Wraps a credential so every access token is masked before it is returned. */
function maskingCredential(inner, setSecret) {
    return {
        async getToken(scopes, options) {
            const token = await inner.getToken(scopes, options);
            if (token?.token)
                setSecret(token.token);
            return token;
        }
    };
}
/** Explains sign-in failures (AADSTS codes) in terms of what to fix; undefined for other errors. */
function explainSignInError(error, settings, claims) {
    const message = errorMessage(error);
    const seen = claims
        ? `The GitHub token had issuer '${escapeLog(String(claims.iss))}', subject '${escapeLog(String(claims.sub))}' ` +
            `and audience '${escapeLog(String(claims.aud))}'. `
        : '';
    if (message.includes('AADSTS70021')) {
        return (`Sign-in failed: Microsoft Entra found no federated credential matching this workflow (AADSTS70021). ${seen}` +
            `On the app registration '${settings.clientId}' (Certificates & secrets > Federated credentials) add one with ` +
            `Issuer '${escapeLog(String(claims?.iss ?? 'https://token.actions.githubusercontent.com'))}', ` +
            `Subject identifier '${escapeLog(String(claims?.sub ?? 'repo:OWNER/REPO:ref:refs/heads/BRANCH'))}' and ` +
            `Audience '${settings.audience}'.`);
    }
    if (message.includes('AADSTS700024')) {
        return `Sign-in failed: the GitHub assertion expired before use (AADSTS700024); check the runner's clock. ${seen}`;
    }
    if (/AADSTS700016|AADSTS90002|AADSTS900023/.test(message)) {
        return `Sign-in failed: check 'client-id' and 'tenant-id' (${escapeLog(message.split('\n')[0])})`;
    }
    const name = error?.name;
    if (name === 'AuthenticationError' ||
        name === 'CredentialUnavailableError' ||
        name === 'AggregateAuthenticationError') {
        return `Sign-in failed (auth '${settings.method}'): ${escapeLog(message.split('\n')[0])}`;
    }
    return undefined;
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



/** Rows shown in the items table; the rest are counted, keeping the summary far below GitHub's 1 MiB cap. */
const SUMMARY_ITEM_LIMIT = 200;
/** Renders the job summary as Markdown: totals per type, the items table (cut off), the failures. */
function renderBackupSummary(report, limit = SUMMARY_ITEM_LIMIT) {
    const totals = tallyOutcomes(report.outcomes);
    const lines = [`## Key Vault backup${report.dryRun ? ' (dry run)' : ''}`, ''];
    lines.push(`Vault: \`${escapeMarkdown(report.vaultUrl)}\``, '');
    if (report.fatal)
        lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '');
    const done = report.dryRun ? 'Would back up' : 'Backed up';
    lines.push(`| Type | ${done} | Skipped | Failed |`, '| --- | ---: | ---: | ---: |');
    for (const type of ITEM_TYPES) {
        const c = totals.byType[type];
        lines.push(`| ${type} | ${c['backed-up'] + c.planned} | ${c.skipped} | ${c.failed} |`);
    }
    lines.push(`| **total** | ${totals['backed-up'] + totals.planned} | ${totals.skipped} | ${totals.failed} |`, '');
    if (report.artifact?.id !== undefined) {
        const name = escapeMarkdown(report.artifact.name);
        const link = report.artifact.url ? `[${name}](${encodeURI(report.artifact.url)})` : name;
        lines.push(`Artifact: ${link} (id ${report.artifact.id}, digest \`${report.artifact.digest ?? '?'}\`)`, '');
    }
    if (report.manifestSha256)
        lines.push(`Manifest SHA-256: \`${report.manifestSha256}\``, '');
    const failed = report.outcomes.filter(o => o.status === 'failed');
    if (failed.length > 0) {
        lines.push('### Failures', '', '| Type | Name | Reason |', '| --- | --- | --- |');
        for (const o of failed.slice(0, limit)) {
            lines.push(`| ${o.type} | ${escapeMarkdown(o.name)} | ${escapeMarkdown(o.reason ?? '')} |`);
        }
        if (failed.length > limit)
            lines.push('', `…and ${failed.length - limit} more failures (see the log).`);
        lines.push('');
    }
    const rows = report.outcomes.filter(o => o.status !== 'failed');
    if (rows.length > 0) {
        const byKey = new Map(report.items.map(i => [`${i.type}/${i.name}`, i]));
        lines.push('### Items', '', '| Type | Name | Status | Versions | Size | Content type | Tags |');
        lines.push('| --- | --- | --- | ---: | ---: | --- | --- |');
        for (const o of rows.slice(0, limit)) {
            const item = byKey.get(`${o.type}/${o.name}`);
            const status = o.status === 'skipped' ? `skipped: ${o.reason ?? ''}` : o.status;
            const tags = item
                ? Object.entries(item.tags)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', ')
                : '';
            lines.push(`| ${o.type} | ${escapeMarkdown(o.name)} | ${escapeMarkdown(status)} | ${o.versionCount ?? ''} | ` +
                `${o.size ?? ''} | ${escapeMarkdown(item?.contentType ?? '')} | ${escapeMarkdown(tags)} |`);
        }
        if (rows.length > limit)
            lines.push('', `…and ${rows.length - limit} more items not shown.`);
        lines.push('');
    }
    return lines.join('\n');
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

;// CONCATENATED MODULE: ./src/core/restore-report.ts



/** Counts outcomes for the outputs and the summary. */
function tallyRestore(outcomes) {
    const totals = { restored: 0, recovered: 0, skipped: 0, failed: 0, planned: 0 };
    for (const o of outcomes)
        totals[o.status]++;
    return totals;
}
/** The plan as the JSON file behind the `plan-path` output. */
function planDocument(report) {
    return {
        targetVault: report.targetVault,
        source: report.source,
        manifest: report.manifest,
        policy: report.policy,
        dryRun: report.dryRun,
        items: report.plan.map((entry, i) => {
            // An outcome carries the state and decision as execution found them (e.g. "being deleted").
            const final = report.outcomes[i] ?? entry;
            const changed = final.state !== entry.state || final.decision.action !== entry.decision.action;
            return {
                type: entry.type,
                name: entry.name,
                state: final.state,
                action: final.decision.action,
                reason: final.decision.reason,
                ...(changed && { planned: { state: entry.state, action: entry.decision.action } }),
                ...(report.outcomes[i] && {
                    outcome: report.outcomes[i].status,
                    ...(report.outcomes[i].reason && { outcomeReason: report.outcomes[i].reason })
                })
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
    if (report.manifest) {
        // Manifest text is free text: it goes in a table cell, escaped, never on a line of its own.
        const m = report.manifest;
        lines.push('| Backup of | Taken | Items | Manifest SHA-256 |', '| --- | --- | ---: | --- |', `| ${escapeMarkdown(m.sourceVault)} | ${escapeMarkdown(m.createdAt)} | ${m.items} | ${escapeMarkdown(m.sha256)} |`, '');
    }
    lines.push(`Policies: if-exists \`${report.policy.ifExists}\`, if-deleted \`${report.policy.ifDeleted}\``, '');
    if (report.fatal)
        lines.push(`> **Failed:** ${escapeMarkdown(report.fatal)}`, '');
    if (report.outcomes.length > 0) {
        lines.push(`Restored ${t.restored} · recovered ${t.recovered} · skipped ${t.skipped} · failed ${t.failed}` +
            (t.planned ? ` · planned ${t.planned}` : '') +
            (report.filteredOut ? ` · ${report.filteredOut} left out by the filters` : ''), '');
    }
    if (report.plan.length > 0) {
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

;// CONCATENATED MODULE: ./src/adapters/summary.ts




/** Writes the backup report to the job summary; never throws (the summary must not mask the real error). */
async function writeJobSummary(report) {
    await writeSummary(() => renderBackupSummary(report), false);
}
/**
 * Writes the restore report to the job summary, replacing what this step wrote before: the plan goes
 * in before any write, and the final table (with outcomes) replaces it at the end. Never throws.
 */
async function writeRestoreSummary(report) {
    await writeSummary(() => renderRestoreSummary(report), true);
}
async function writeSummary(render, overwrite) {
    if (!process.env.GITHUB_STEP_SUMMARY)
        return;
    try {
        await core/* summary */.z.emptyBuffer().addRaw(render(), true).write({ overwrite });
    }
    catch (error) {
        core/* warning */.$e(`Could not write the job summary: ${errorMessage(error)}`);
    }
}

// EXTERNAL MODULE: ./node_modules/@azure/keyvault-certificates/dist/esm/index.js + 23 modules
var keyvault_certificates_dist_esm = __webpack_require__(84177);
// EXTERNAL MODULE: ./node_modules/@azure/keyvault-keys/dist/esm/index.js + 26 modules
var keyvault_keys_dist_esm = __webpack_require__(95732);
// EXTERNAL MODULE: ./node_modules/@azure/keyvault-secrets/dist/esm/index.js + 18 modules
var keyvault_secrets_dist_esm = __webpack_require__(16009);
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
function keepAliveProxyAgent(env = process.env) {
    if (!(env.HTTPS_PROXY || env.https_proxy) || !hasBuiltInProxySupport())
        return undefined;
    return new external_node_https_.Agent({ keepAlive: true, proxyEnv: env });
}

;// CONCATENATED MODULE: ./src/adapters/no-value-reads.ts
// GET /secrets/{name}[/{version}] returns the value; /secrets/{name}/versions only lists properties.
const VALUE_READ = /^\/secrets\/[^/]+(\/(?!versions\/?$)[^/]*)?\/?$/i;
/** True for a request that would return a secret's value. */
function isSecretValueRead(method, url) {
    return method.toUpperCase() === 'GET' && VALUE_READ.test(new URL(url).pathname);
}
/**
 * A pipeline policy that refuses, before sending, any request that would return a secret value.
 * Backup and restore never need one; the SDK's recover poller asks for it only to see whether the
 * secret is back, and treats our 404 as "not yet", which is what we want (we poll the versions list).
 */
const refuseSecretValueReads = {
    name: 'keyvaultBackupRefuseSecretValueReads',
    sendRequest(request, next) {
        if (isSecretValueRead(request.method, request.url)) {
            const error = new Error(`keyvault-backup never reads secret values; refused ${request.method} ${new URL(request.url).pathname}`);
            return Promise.reject(Object.assign(error, { statusCode: 404, code: 'SecretValueReadRefused' }));
        }
        return next(request);
    }
};

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
async function readPage(byPage, continuationToken) {
    const capture = { seen: false };
    const iterator = byPage({ continuationToken, maxPageSize: 25 });
    try {
        const result = await scope.run(capture, () => iterator.next());
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

;// CONCATENATED MODULE: ./src/adapters/keyvault.ts






/** Builds the three SDK clients for a vault with the options our rate control and hosts need. */
function createVaultClients(vault, credential, userAgent) {
    const agent = keepAliveProxyAgent();
    const options = {
        // All retries go through our RateController: the SDK would throw a 429 without Retry-After at
        // once and retry 5xx on real timers, so two retry layers would multiply and be untestable.
        retryOptions: { maxRetries: 0 },
        // Kept for known Key Vault domains; relaxed only for private endpoints, custom domains and
        // loopback hosts, whose names cannot end with the challenge's resource host.
        disableChallengeResourceVerification: !vault.knownHost,
        userAgentOptions: { userAgentPrefix: userAgent },
        ...(agent && { agent }),
        // Lets a failed listing page be retried alone: see pageLinkPolicy.
        additionalPolicies: [{ policy: pageLinkPolicy, position: 'perCall' }]
    };
    return {
        // The SDK's recover poller would GET the secret (its value) to see whether recovery finished;
        // this policy refuses such reads before they leave the process, so no code path can read a value.
        secrets: new keyvault_secrets_dist_esm/* SecretClient */._V(vault.url, credential, {
            ...options,
            additionalPolicies: [
                ...options.additionalPolicies,
                { policy: refuseSecretValueReads, position: 'perCall' }
            ]
        }),
        keys: new keyvault_keys_dist_esm/* KeyClient */.xp(vault.url, credential, options),
        certificates: new keyvault_certificates_dist_esm/* CertificateClient */.d3(vault.url, credential, options)
    };
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
const mapPage = (page, map) => ({
    items: page.items.map(map),
    ...(page.continuationToken && { continuationToken: page.continuationToken })
});
// Every listing goes through `readPage`: one page per call, so the caller retries a failed page
// alone and resumes from the last continuation token.
function activePage(clients, type, token) {
    switch (type) {
        case 'secrets':
            return readPage(s => clients.secrets.listPropertiesOfSecrets().byPage(s), token);
        case 'keys':
            return readPage(s => clients.keys.listPropertiesOfKeys().byPage(s), token);
        case 'certificates':
            return readPage(s => clients.certificates.listPropertiesOfCertificates({ includePending: true }).byPage(s), token);
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
        return mapPage(await activePage(this.clients, type, continuationToken), p => toItem(type, p));
    }
    /** One page of an object's version ids (properties only). */
    async listVersionIds(type, name, continuationToken) {
        return mapPage(await versionPage(this.clients, type, name, continuationToken), p => p.version ?? '');
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
    /** One page of the type's active objects (pending certificates included): names and recovery levels. */
    async listActive(type, continuationToken) {
        return mapPage(await activePage(this.clients, type, continuationToken), p => ({
            name: p.name ?? '',
            ...(p.recoveryLevel && { recoveryLevel: p.recoveryLevel })
        }));
    }
    /** One page of the type's soft-deleted objects with their recovery levels and purge dates. */
    async listDeleted(type, continuationToken) {
        return mapPage(await deletedPage(this.clients, type, continuationToken), toDeleted);
    }
    /** The soft-deleted object's recovery level and purge date, or undefined on 404. */
    async getDeleted(type, name) {
        let deleted;
        try {
            deleted =
                type === 'secrets'
                    ? await this.clients.secrets.getDeletedSecret(name)
                    : type === 'keys'
                        ? await this.clients.keys.getDeletedKey(name)
                        : await this.clients.certificates.getDeletedCertificate(name);
        }
        catch (error) {
            if (isNotFound(error))
                return undefined;
            throw error;
        }
        const { recoveryLevel, scheduledPurgeDate } = toDeleted(deleted);
        return { ...(recoveryLevel && { recoveryLevel }), ...(scheduledPurgeDate && { scheduledPurgeDate }) };
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

;// CONCATENATED MODULE: ./src/core/paging.ts
/**
 * Walks a listing page by page. Each page is one call under the rate controller, so a 503 or a
 * reset retries that page alone, resuming from the last continuation token; a page that keeps
 * failing fails the listing after the controller's bounded retries. Empty pages that carry a token
 * are followed (the service answers so). `onPage` runs outside the controller's slot (it may wait
 * for room downstream) and may return false to stop before the next page. Resolves true when the listing ended.
 */
async function forEachPage(rate, read, onPage) {
    let token;
    for (;;) {
        const current = token;
        const page = await rate.run(() => read(current));
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
/** True when any of the globs matches the name. */
function matchesAny(patterns, name) {
    return patterns.some(pattern => compileGlob(pattern)(name));
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
    const explain = deps.explainError ?? describeVaultError;
    const result = { outcomes: [], items: [] };
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
            });
        }
        catch (error) {
            // Items of the pages read so far are backed up; the type gets one failure for the rest.
            const reason = `listing ${type} failed: ${explain(error, type, 'list')}`;
            deps.log.warning(reason);
            result.outcomes.push({ type, name: '*', status: 'failed', reason });
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

;// CONCATENATED MODULE: ./src/core/pace.ts
/** The fewest calls per window a run of 429s can pace down to. */
const MIN_PER_WINDOW = 10;
/**
 * How many calls may start in any sliding window, learnt from the vault. Key Vault throttles by
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
function retry_header(headers, name) {
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
        const value = Number(retry_header(headers, name));
        if (retry_header(headers, name) !== undefined && Number.isFinite(value) && value >= 0)
            return value;
    }
    const retryAfter = retry_header(headers, 'retry-after');
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


/**
 * Calls started in any sliding window, at most. Key Vault counts 4,000 transactions per 10 s per
 * vault (secrets and software keys); a tenth is left for the vault's other users.
 */
const VAULT_BUDGET = { requests: 3600, windowMs: 10_000 };
/** The debug line for a retry. */
function describeRetry(e) {
    const window = VAULT_BUDGET.windowMs / 1000;
    return `Retrying after ${e.kind} (attempt ${e.attempt}) in ${e.delayMs} ms, concurrency ${e.concurrency}, pace ${e.pace} per ${window} s`;
}
/**
 * Bounded, adaptive parallelism with retries (AIMD, as TCP does): every call takes a slot; a 429
 * halves the number of slots and pauses new calls until the wait is over; a run of successes adds
 * one slot back up to the starting value. 429s honour `Retry-After` when sent, else back off with
 * jitter; 5xx and connection resets are retried a bounded number of times. On top of that, calls
 * start at a pace (see Pace): never more than the budget per window, and less after 429s, so a long
 * job settles under the vault's limit instead of meeting it again and again.
 */
class RateController {
    limit;
    ceiling;
    active = 0;
    waiting = [];
    pausedUntil = 0;
    lastDecrease = Number.NEGATIVE_INFINITY;
    successes = 0;
    pace;
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
            budget: VAULT_BUDGET,
            ...options
        };
        this.ceiling = Math.max(1, Math.floor(options.concurrency));
        this.limit = this.ceiling;
        this.pace = new Pace(this.o.budget.requests, this.o.budget.windowMs);
    }
    /** The current number of slots. */
    get concurrency() {
        return this.limit;
    }
    /** Runs one service call under the rate control, retrying as described on the class. */
    async run(call) {
        let throttles = 0;
        let transients = 0;
        for (;;) {
            await this.acquire();
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
                concurrency: this.limit,
                pace: this.pace.perWindow
            });
            await this.o.sleep(delayMs);
        }
    }
    waitFor(retryAfterMs, attempt) {
        if (retryAfterMs !== undefined)
            return Math.min(retryAfterMs, this.o.maxRetryAfterMs);
        return backoffDelay(attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random);
    }
    async acquire() {
        while (this.active >= this.limit)
            await new Promise(resolve => this.waiting.push(resolve));
        this.active++;
        // A throttled vault answers everyone the same: new calls wait out the pause too.
        for (let wait = this.pausedUntil - this.o.clock.now(); wait > 0; wait = this.pausedUntil - this.o.clock.now()) {
            await this.o.sleep(wait);
        }
        for (let wait = this.pace.tryStart(this.o.clock.now()); wait > 0;) {
            await this.o.sleep(wait);
            wait = this.pace.tryStart(this.o.clock.now());
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
            this.pace.throttled(now);
            this.lastDecrease = now;
        }
    }
    onSuccess() {
        this.pace.succeeded(this.o.clock.now());
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

;// CONCATENATED MODULE: ./src/backup-job.ts









/**
 * The backup shared by the action and the CLI: run the core over the vault, write blobs and the
 * manifest into the folder, log progress. Uploading is the caller's business.
 */
async function backupVault(settings, deps) {
    const clock = deps.clock ?? systemClock;
    const rate = new RateController({
        concurrency: settings.concurrency,
        clock,
        sleep: deps.sleep ?? realSleep,
        onRetry: e => deps.log.debug(describeRetry(e))
    });
    const vault = deps.vault ??
        new KeyVaultReader(createVaultClients(settings.vault, deps.credential, `${TOOL_NAME}/${TOOL_VERSION}`));
    const progress = new ProgressReporter(clock, deps.log, 5000, () => rate.concurrency);
    const folder = settings.dryRun ? undefined : new BackupFolderWriter(settings.path);
    const explainError = (error, type, op) => deps.explainSignIn?.(error) ?? describeVaultError(error, type, op);
    // A timer keeps the progress line coming while slow items are in flight.
    const timer = setInterval(() => progress.maybeReport(), 1000);
    timer.unref();
    const createdAt = new Date(clock.now()).toISOString();
    let result;
    try {
        result = await runBackup({ vault, sink: folder, rate, log: deps.log, progress, explainError }, settings);
    }
    finally {
        clearInterval(timer);
    }
    if (rate.stats.throttled + rate.stats.transientRetries > 0) {
        deps.log.info(`Rate control: ${rate.stats.throttled} throttled, ${rate.stats.transientRetries} transient retries`);
    }
    const report = {
        vaultUrl: settings.vault.url,
        dryRun: settings.dryRun,
        outcomes: result.outcomes,
        items: result.items
    };
    if (!folder)
        return { report, blobs: [] };
    const manifest = buildManifest({
        tool: { name: TOOL_NAME, version: TOOL_VERSION },
        createdAt,
        source: {
            vaultUrl: settings.vault.url,
            vaultName: settings.vault.name,
            cloud: settings.cloud.name,
            ...(deps.tenantId && { tenantId: deps.tenantId })
        },
        items: result.items,
        skipped: result.outcomes
            .filter(o => o.status === 'skipped')
            .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' })),
        failed: result.outcomes
            .filter(o => o.status === 'failed')
            .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' }))
    });
    const written = await folder.writeManifest(manifest);
    report.manifestSha256 = written.sha256;
    report.backupPath = settings.path;
    return { report, blobs: folder.blobFiles() };
}

;// CONCATENATED MODULE: ./src/core/cloud.ts
const CLOUDS = {
    AzureCloud: {
        name: 'AzureCloud',
        authorityHost: 'https://login.microsoftonline.com',
        vaultSuffix: 'vault.azure.net',
        defaultAudience: 'api://AzureADTokenExchange'
    },
    AzureUSGovernment: {
        name: 'AzureUSGovernment',
        authorityHost: 'https://login.microsoftonline.us',
        vaultSuffix: 'vault.usgovcloudapi.net',
        defaultAudience: 'api://AzureADTokenExchangeUSGov'
    },
    AzureChinaCloud: {
        name: 'AzureChinaCloud',
        authorityHost: 'https://login.chinacloudapi.cn',
        vaultSuffix: 'vault.azure.cn',
        defaultAudience: 'api://AzureADTokenExchangeChina'
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
        throw new Error(`'${value}' is neither a vault name (3-24 letters, digits and single hyphens, starting with a letter) nor an https:// URL`);
    }
    const name = value.toLowerCase();
    return { url: `https://${name}.${cloud.vaultSuffix}`, name, knownHost: true };
}
function resolveVaultUrl(value) {
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new Error(`'${value}' is not a valid URL`);
    }
    if (url.protocol !== 'https:')
        throw new Error(`'${value}' must use https://`);
    if (url.username || url.password)
        throw new Error(`'${value}' must not carry credentials`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
        throw new Error(`'${value}' must be a bare origin such as https://myvault.vault.azure.net (no path or query)`);
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
        case 'being-deleted':
            return 'being deleted';
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
        case 'deleted':
        case 'being-deleted': {
            const protectedDate = state.kind === 'deleted' && state.purgeProtected ? state.scheduledPurgeDate : undefined;
            const isProtected = state.kind === 'deleted' && state.purgeProtected;
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
    FailOnError: 'fail-on-error',
    DryRun: 'dry-run',
    RunId: 'run-id',
    Repository: 'repository',
    GithubToken: 'github-token',
    IfExists: 'if-exists',
    IfDeleted: 'if-deleted',
    Verify: 'verify'
};
/** Every output name of action.yml. */
const Outputs = {
    ArtifactId: 'artifact-id',
    ArtifactUrl: 'artifact-url',
    ArtifactDigest: 'artifact-digest',
    BackupPath: 'backup-path',
    ManifestSha256: 'manifest-sha256',
    BackedUp: 'backed-up',
    Skipped: 'skipped',
    Failed: 'failed',
    Restored: 'restored',
    Recovered: 'recovered',
    PlanPath: 'plan-path'
};
const fromRunner = name => core/* getInput */.V4(name);
const DEFAULT_CONCURRENCY = 32;
const MAX_CONCURRENCY = 64;
const CLOUD_NAMES = Object.keys(CLOUDS);
const AUTH_METHODS = ['oidc', 'azure-cli', 'managed-identity'];
const PATTERN = /^[0-9a-zA-Z*?-]+$/;
const ID = /^[0-9a-zA-Z.-]+$/;
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
    const lines = raw
        .split('\n')
        .map(s => s.trim())
        .filter(s => s !== '' && !s.startsWith('#'));
    return lines.flatMap(line => {
        const eq = line.indexOf('=');
        if (eq <= 0)
            return p.add(`Invalid line in '${Inputs.Tags}': ${quote(line)}. Expected key=value`) ?? [];
        return [{ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() }];
    });
}
function itemTypes(p, raw) {
    const list = splitList(raw).map(t => t.toLowerCase());
    if (list.length === 0)
        return [...ITEM_TYPES];
    const bad = list.filter(t => !ITEM_TYPES.includes(t));
    if (bad.length > 0) {
        p.add(`Invalid value for '${Inputs.Types}': ${quote(bad.join(', '))}. Valid options are: ${ITEM_TYPES.join(', ')}`);
    }
    return ITEM_TYPES.filter(t => list.includes(t));
}
/**
 * Parses the inputs backup shares with the CLI. `read` returns a raw input by action.yml name;
 * `env` supplies RUNNER_TEMP for the default path. Throws one error naming every bad input.
 */
function parseBackupSettings(read, env) {
    const p = new Problems();
    const settings = backupSettings(read, env, p);
    p.throwIfAny();
    return settings;
}
function backupSettings(read, env, p) {
    const cloud = CLOUDS[oneOf(p, Inputs.Environment, read(Inputs.Environment), CLOUD_NAMES, 'AzureCloud')];
    let vault = { url: '', name: '', knownHost: true };
    const rawVault = read(Inputs.Vault);
    if (rawVault === '')
        p.add(`Input '${Inputs.Vault}' is required: a vault name (e.g. 'prod') or an https:// URL`);
    else {
        try {
            vault = resolveVault(rawVault, cloud);
        }
        catch (error) {
            p.add(`Invalid value for '${Inputs.Vault}': ${error.message}`);
        }
    }
    const include = patterns(p, Inputs.Include, read(Inputs.Include));
    const exclude = patterns(p, Inputs.Exclude, read(Inputs.Exclude));
    const both = include.filter(x => exclude.some(y => y.toLowerCase() === x.toLowerCase()));
    if (both.length > 0) {
        p.add(`Inputs '${Inputs.Include}' and '${Inputs.Exclude}' both list ${both.map(quote).join(', ')}; keep it in one`);
    }
    const filter = {
        types: itemTypes(p, read(Inputs.Types)),
        include,
        exclude,
        tags: tagFilters(p, read(Inputs.Tags)),
        skipDisabled: bool(p, Inputs.SkipDisabled, read(Inputs.SkipDisabled), false)
    };
    const rawPath = read(Inputs.Path);
    const base = env.RUNNER_TEMP || (0,external_node_os_.tmpdir)();
    const path = rawPath
        ? (0,external_node_path_.isAbsolute)(rawPath)
            ? rawPath
            : (0,external_node_path_.resolve)(rawPath)
        : (0,external_node_path_.join)(base, 'keyvault-backup', vault.name);
    return {
        vault,
        cloud,
        filter,
        path,
        concurrency: integer(p, Inputs.Concurrency, read(Inputs.Concurrency), 1, MAX_CONCURRENCY) ?? DEFAULT_CONCURRENCY,
        failOnError: bool(p, Inputs.FailOnError, read(Inputs.FailOnError), true),
        dryRun: bool(p, Inputs.DryRun, read(Inputs.DryRun), false)
    };
}
const RUN_ID = /^[1-9]\d{0,19}$/;
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
/**
 * Parses the restore inputs: the source (`path`, or `artifact-name` with `run-id`, `repository`,
 * `github-token`), the two conflict policies and `verify`. Contradictions are reported together.
 * `env` supplies GITHUB_REPOSITORY and RUNNER_TEMP.
 */
function parseRestoreOptions(read, env) {
    const p = new Problems();
    const options = restoreOptions(read, env, p);
    p.throwIfAny();
    return options;
}
function restoreOptions(read, env, p) {
    const rawPath = read(Inputs.Path);
    const name = read(Inputs.ArtifactName);
    const runId = read(Inputs.RunId);
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
    if (repository && !REPOSITORY.test(repository)) {
        p.add(`Invalid value for '${Inputs.Repository}': ${quote(repository)}. Expected owner/name`);
    }
    if (repository && !runId && !rawPath) {
        p.add(`Input '${Inputs.Repository}' needs '${Inputs.RunId}' (a run id or 'latest'): the current run belongs to this repository`);
    }
    if (runId && !token && !rawPath) {
        p.add(`Input '${Inputs.RunId}' needs '${Inputs.GithubToken}' (a token with 'actions: read'), e.g. github-token: \${{ github.token }}`);
    }
    const policy = {
        ifExists: oneOf(p, Inputs.IfExists, read(Inputs.IfExists), IF_EXISTS, 'skip'),
        ifDeleted: oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), IF_DELETED, 'fail')
    };
    const verify = bool(p, Inputs.Verify, read(Inputs.Verify), true);
    const workDir = (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), 'keyvault-restore');
    const repo = repository || env.GITHUB_REPOSITORY || '';
    let source;
    if (rawPath)
        source = { kind: 'path', path: (0,external_node_path_.isAbsolute)(rawPath) ? rawPath : (0,external_node_path_.resolve)(rawPath) };
    else if (runId === 'latest')
        source = { kind: 'artifact', artifact: { kind: 'latest', name, repository: repo, token } };
    else if (runId) {
        source = {
            kind: 'artifact',
            artifact: { kind: 'run', name, runId: Number(runId), repository: repo, token }
        };
    }
    else
        source = { kind: 'artifact', artifact: { kind: 'current-run', name } };
    return { source, policy, verify, workDir };
}
/**
 * Reads and validates every action input (the only caller of `core.getInput`). `client-id` and
 * `tenant-id` fall back to AZURE_CLIENT_ID and AZURE_TENANT_ID; the audience to the cloud's default.
 */
function readInputs(read = fromRunner, env = process.env) {
    const p = new Problems();
    const operation = oneOf(p, Inputs.Operation, read(Inputs.Operation), ['backup', 'restore'], 'backup');
    const settings = backupSettings(read, env, p);
    const auth = oneOf(p, Inputs.Auth, read(Inputs.Auth), AUTH_METHODS, 'oidc');
    const clientId = read(Inputs.ClientId) || env.AZURE_CLIENT_ID || undefined;
    const tenantId = read(Inputs.TenantId) || env.AZURE_TENANT_ID || undefined;
    for (const [name, value] of [
        [Inputs.ClientId, clientId],
        [Inputs.TenantId, tenantId]
    ]) {
        if (value !== undefined && !ID.test(value))
            p.add(`Invalid value for '${name}': ${quote(value)}. Expected a GUID`);
        if (value === undefined && auth === 'oidc') {
            p.add(`Input '${name}' is required for auth 'oidc' (or set ${name === Inputs.ClientId ? 'AZURE_CLIENT_ID' : 'AZURE_TENANT_ID'})`);
        }
    }
    const rawAudience = read(Inputs.Audience);
    if (rawAudience && auth !== 'oidc') {
        p.add(`Inputs '${Inputs.Audience}' and '${Inputs.Auth}: ${auth}' cannot be used together: the audience applies only to 'oidc'`);
    }
    const restore = operation === 'restore' ? restoreOptions(read, env, p) : undefined;
    if (!restore) {
        // Restore-only inputs: the source inputs have no default, so any value is a mistake; the
        // policies have defaults in action.yml, so only their values are checked.
        for (const name of [Inputs.RunId, Inputs.Repository]) {
            if (read(name))
                p.add(`Input '${name}' applies only when 'operation' is restore; this step is a backup`);
        }
        oneOf(p, Inputs.IfExists, read(Inputs.IfExists), IF_EXISTS, 'skip');
        oneOf(p, Inputs.IfDeleted, read(Inputs.IfDeleted), IF_DELETED, 'fail');
        bool(p, Inputs.Verify, read(Inputs.Verify), true);
    }
    const artifactName = read(Inputs.ArtifactName) || `keyvault-backup-${settings.vault.name}`;
    if (!restore && ARTIFACT_FORBIDDEN.test(artifactName)) {
        p.add(`Invalid value for '${Inputs.ArtifactName}': ${quote(artifactName)}. It must not contain " : < > | * ? \\ / or line breaks`);
    }
    const retentionDays = integer(p, Inputs.RetentionDays, read(Inputs.RetentionDays), 1, 90);
    const compressionLevel = integer(p, Inputs.CompressionLevel, read(Inputs.CompressionLevel), 0, 9) ?? 0;
    const upload = bool(p, Inputs.Upload, read(Inputs.Upload), true);
    p.throwIfAny();
    return {
        ...settings,
        operation,
        ...(restore && { restore }),
        auth,
        ...(clientId && { clientId }),
        ...(tenantId && { tenantId }),
        audience: rawAudience || settings.cloud.defaultAudience,
        artifactName,
        ...(retentionDays !== undefined && { retentionDays }),
        compressionLevel,
        upload
    };
}

;// CONCATENATED MODULE: ./src/outputs.ts




/** The action's outputs for a report, as name/value pairs (all strings, as the runner stores them). */
function backupOutputs(report) {
    const totals = tallyOutcomes(report.outcomes);
    return {
        [Outputs.ArtifactId]: report.artifact?.id?.toString() ?? '',
        [Outputs.ArtifactUrl]: report.artifact?.url ?? '',
        [Outputs.ArtifactDigest]: report.artifact?.digest ?? '',
        [Outputs.BackupPath]: report.backupPath ?? '',
        [Outputs.ManifestSha256]: report.manifestSha256 ?? '',
        [Outputs.BackedUp]: String(totals['backed-up']),
        [Outputs.Skipped]: String(totals.skipped),
        [Outputs.Failed]: String(totals.failed)
    };
}
/** One message naming the first few failures, or undefined when nothing failed. */
function failureMessage(report, shown = 5) {
    const failed = report.outcomes.filter(o => o.status === 'failed');
    if (failed.length === 0)
        return undefined;
    const total = report.outcomes.filter(o => o.status !== 'skipped').length;
    const lines = failed.slice(0, shown).map(o => `${o.type} '${escapeLog(o.name)}': ${o.reason ?? 'failed'}`);
    const more = failed.length > shown ? `\n…and ${failed.length - shown} more (see the job summary)` : '';
    return `${failed.length} of ${total} items failed:\n${lines.join('\n')}${more}`;
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
/** One message naming the first few failed restores, or undefined when none failed. */
function restoreFailureMessage(report, shown = 5) {
    const failed = report.outcomes.filter(o => o.status === 'failed');
    if (failed.length === 0)
        return undefined;
    const lines = failed
        .slice(0, shown)
        .map(o => `${o.type} '${escapeLog(o.name)}': ${escapeLog(o.reason ?? 'failed')}`);
    const more = failed.length > shown ? `\n…and ${failed.length - shown} more (see the job summary)` : '';
    return `${failed.length} of ${report.outcomes.length} items failed to restore:\n${lines.join('\n')}${more}`;
}

;// CONCATENATED MODULE: ./src/step.ts

/** The log the jobs write to: the runner's log. */
const stepLog = { info: core/* info */.pq, warning: (m) => core/* warning */.$e(m), debug: core/* debug */.Yz };
/** Fails the step when items failed, unless `fail-on-error: false`, which turns it into a warning. */
function concludeStep(failures, failOnError) {
    if (failures && failOnError)
        core/* setFailed */.C1(failures);
    else if (failures)
        core/* warning */.$e(`${failures}\n(fail-on-error is false, so the step succeeds)`);
}

;// CONCATENATED MODULE: ./src/backup-action.ts








/** `operation: backup`: back up, upload; outputs and the job summary are written whatever happens. */
async function backupStep(inputs) {
    let report;
    try {
        const { tenantId, clientId, audience, cloud } = inputs;
        const auth = createCredential({ method: inputs.auth, cloud, clientId, tenantId, audience });
        const job = await backupVault(inputs, {
            credential: auth.credential,
            explainSignIn: auth.explainError,
            log: stepLog,
            tenantId
        });
        report = job.report;
        if (inputs.upload && !inputs.dryRun) {
            const { artifactName: name, retentionDays, compressionLevel } = inputs;
            const artifact = await uploadBackup(inputs.path, job.blobs, { name, retentionDays, compressionLevel });
            report.artifact = { name, ...artifact };
            core/* info */.pq(`Uploaded artifact '${name}' (id ${artifact.id}, ${artifact.size} bytes): ${artifact.url}`);
        }
        concludeStep(failureMessage(report), inputs.failOnError);
    }
    catch (error) {
        const message = errorMessage(error);
        if (report)
            report.fatal = message;
        core/* setFailed */.C1(message);
    }
    finally {
        if (report) {
            for (const [name, value] of Object.entries(backupOutputs(report)))
                core/* setOutput */.uH(name, value);
            await writeJobSummary(report);
        }
    }
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
        verification = await verifyBackupFolder(root, undefined, measured);
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







/** Thrown when the target refuses blobs from another subscription or geography: no item can succeed. */
class ForeignWorldError extends Error {
}
const isStatus = (error, status) => error?.statusCode === status;
/** Explains the "same subscription and geography" rule when the service cannot decrypt a blob. */
function foreignWorldMessage(sourceVault, targetVault) {
    // The source comes from the manifest: free text as far as the log is concerned.
    const [source, target] = [escapeLog(sourceVault), escapeLog(targetVault)];
    return (`The target vault ${target} refused the backup blobs ("Cannot decrypt backup blob."): a Key Vault ` +
        `backup restores only into a vault in the same Azure subscription AND the same Azure geography as the ` +
        `vault it came from (${source}). Vaults that qualify: any vault of that subscription whose region ` +
        `is in the same geography (for example West Europe and North Europe are both Europe). Another ` +
        `subscription, another geography or another tenant cannot read these blobs; nothing was restored.`);
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
/** Reads where an item's name stands in the target, one item at a time. */
async function inspectTarget(deps, item) {
    const active = await readVersions(deps, item.type, item.name);
    if (active.versionIds.length > 0) {
        return {
            kind: 'active',
            versionIds: active.versionIds,
            purgeProtected: isPurgeProtected(active.recoveryLevel)
        };
    }
    const deleted = await deps.rate.run(() => deps.vault.getDeleted(item.type, item.name));
    if (!deleted)
        return { kind: 'absent' };
    return deletedState(deleted);
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
 * Fills `states` for the items of one type. Probing costs one or two calls per item (versions, then
 * the deleted view); listing the target's active and deleted objects costs one call per page of 25
 * and tells the same for every name it does not hold. So the type is listed, and only names found
 * active are read one by one (their version ids, which a listing does not give) through the same
 * `inspectTarget` as before. A listing that needs more pages than the items it informs (a big target,
 * a small restore) is abandoned for probing, so the plan never costs much more than before.
 */
async function inspectType(deps, items, type, states) {
    const indexes = items.flatMap((item, i) => (item.type === type ? [i] : []));
    const probe = (which) => Promise.all(which.map(async (i) => (states[i] = await inspectTarget(deps, items[i]))));
    const { listActive, listDeleted } = deps.vault;
    if (indexes.length === 0)
        return;
    if (!listActive || !listDeleted)
        return void (await probe(indexes));
    const key = (i) => items[i].name.toLowerCase();
    const active = await listNames(deps.rate, t => listActive.call(deps.vault, type, t), indexes.map(key));
    if (!active)
        return void (await probe(indexes));
    const inactive = indexes.filter(i => !active.has(key(i)));
    const deleted = inactive.length === 0
        ? new Map()
        : await listNames(deps.rate, t => listDeleted.call(deps.vault, type, t), inactive.map(key));
    if (!deleted)
        return void (await probe(indexes));
    await probe(indexes.filter(i => active.has(key(i))));
    for (const i of inactive) {
        const found = deleted.get(key(i));
        states[i] = found ? deletedState(found) : { kind: 'absent' };
    }
}
/**
 * The entries of a listing whose names (case-insensitive, as Key Vault's) are wanted, or undefined
 * when the listing runs past one page per wanted name (plus one: the service may open with an
 * empty page). Only wanted entries are kept, so memory follows the restore, not the target.
 */
async function listNames(rate, read, wanted) {
    const names = new Set(wanted);
    const found = new Map();
    let pages = 0;
    const complete = await forEachPage(rate, read, page => {
        for (const entry of page) {
            const name = entry.name.toLowerCase();
            if (names.has(name))
                found.set(name, entry);
        }
        return ++pages <= wanted.length;
    });
    return complete ? found : undefined;
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
    return `${singular(o.type)} '${o.name}': ${o.status}${o.reason ? ` (${o.reason})` : ''}`;
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
        deps.log.info(`${singular(item.type)} '${item.name}': found ${row.state} when restoring; new decision: ${row.decision.action}`);
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
            if (isStatus(error, 400) && /cannot decrypt backup blob/i.test(errorMessage(error))) {
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
async function waitForDeleted(deps, item) {
    await pollUntil(`the deleted ${singular(item.type)} '${item.name}' to appear in the deleted view`, async () => ((await deps.rate.run(() => deps.vault.getDeleted(item.type, item.name))) ? true : undefined), deps.poll);
}
async function waitForActive(deps, item) {
    await pollUntil(`${singular(item.type)} '${item.name}' to finish recovering`, async () => {
        const { versionIds } = await readVersions(deps, item.type, item.name);
        return versionIds.length > 0 ? true : undefined;
    }, deps.poll);
}
/**
 * Verify after: each restored item must exist with the manifest's version count (and ids, when
 * recorded); a recovered item must exist. A mismatch turns the outcome into a failure.
 */
async function verifyRestored(deps, items, outcomes) {
    await Promise.all(outcomes.map(async (o, i) => {
        if (o.status !== 'restored' && o.status !== 'recovered')
            return;
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
    }));
}

;// CONCATENATED MODULE: ./src/restore-job.ts













/** A short description of the source for logs and the summary. */
function describeSource(options) {
    if (options.source.kind === 'path')
        return `folder ${options.source.path}`;
    const a = options.source.artifact;
    if (a.kind === 'current-run')
        return `artifact '${a.name}' of this run`;
    if (a.kind === 'latest')
        return `the newest artifact '${a.name}' in ${a.repository}`;
    return `artifact '${a.name}' of run ${a.runId} in ${a.repository}`;
}
/**
 * The restore shared by the action and the CLI: fetch and verify the backup (nothing is written to
 * the vault if any check fails), select, read the target's state, plan, report the plan, then (unless
 * a dry run) execute and verify. Fills `report` as it goes, so a caller can still summarise a
 * failure; throws on a fatal problem.
 */
async function restoreVault(settings, deps, report) {
    const clock = deps.clock ?? systemClock;
    const sleep = deps.sleep ?? realSleep;
    const log = deps.log;
    report.source = describeSource(settings);
    let source;
    if (settings.source.kind === 'path')
        source = settings.source.path;
    else {
        if (!deps.download)
            throw new Error('restoring from an artifact needs the runner (use path here)');
        await (0,promises_.mkdir)(settings.workDir, { recursive: true });
        source = await (0,promises_.mkdtemp)((0,external_node_path_.join)(settings.workDir, 'artifact-'));
        const artifact = await deps.download(settings.source.artifact, source);
        report.source += ` (id ${artifact.id}${artifact.runId ? `, run ${artifact.runId}` : ''}, digest ${artifact.digest} verified)`;
        log.info(`Downloaded ${escapeLog(report.source)}`);
    }
    // Verify before any write: a failure here leaves the vault untouched.
    const { manifest, manifestSha256, root } = await verifyForRestore(source, settings.workDir);
    report.manifest = {
        sourceVault: manifest.source.vaultUrl,
        createdAt: manifest.createdAt,
        sha256: manifestSha256,
        items: manifest.items.length
    };
    log.info(`Verified the backup of ${escapeLog(manifest.source.vaultUrl)}: ${manifest.items.length} items, every SHA-256 matches`);
    const selection = selectItems(manifest.items.map(i => ({ ...i, managed: false })), settings.filter);
    const chosen = new Set(selection.selected.map(i => `${i.type}/${i.name}`));
    const items = manifest.items.filter(i => chosen.has(`${i.type}/${i.name}`));
    report.filteredOut = manifest.items.length - items.length;
    const rate = new RateController({
        concurrency: settings.concurrency,
        clock,
        sleep,
        onRetry: e => log.debug(describeRetry(e))
    });
    const vault = deps.vault ??
        new KeyVaultWriter(createVaultClients(settings.vault, deps.credential, `${TOOL_NAME}/${TOOL_VERSION}`));
    const explainSignIn = (error) => {
        throw new Error(deps.explainSignIn?.(error) ?? errorMessage(error));
    };
    const { entries } = await planRestore({ vault, rate }, items, settings.policy).catch(explainSignIn);
    report.plan = entries;
    log.info(`Restore plan for ${escapeLog(settings.vault.url)} (${items.length} items, ${report.filteredOut} left out by the filters):`);
    for (const line of planLines(entries))
        log.info(line);
    await writePlan(settings, report, log);
    await deps.onPlan?.(report);
    if (settings.dryRun) {
        report.outcomes = entries.map(e => ({ ...e, status: 'planned' }));
        await writePlan(settings, report, log);
        return report;
    }
    const poll = { ...defaultPollSettings(clock, sleep), ...deps.poll };
    const restoreDeps = {
        vault,
        rate,
        poll,
        log,
        readBlob: (item) => readVerifiedBlob(root, item),
        sourceVault: manifest.source.vaultUrl,
        targetVault: settings.vault.url
    };
    try {
        report.outcomes = await executeRestore(restoreDeps, items, entries, settings.policy);
    }
    catch (error) {
        if (error instanceof ForeignWorldError) {
            report.outcomes = error.outcomes;
        }
        throw error;
    }
    finally {
        if (report.outcomes.length > 0)
            await writePlan(settings, report, log);
    }
    if (settings.verify) {
        await verifyRestored({ vault, rate }, items, report.outcomes);
        log.info('Verified: every restored item exists with the version count the manifest records');
    }
    await writePlan(settings, report, log);
    return report;
}
// The plan file is rewritten as outcomes come in, so a killed run still leaves the plan behind.
async function writePlan(settings, report, log) {
    try {
        await (0,promises_.mkdir)(settings.workDir, { recursive: true });
        const path = report.planPath ?? (0,external_node_path_.join)(settings.workDir, `plan-${settings.vault.name}.json`);
        await (0,promises_.writeFile)(path, `${JSON.stringify(planDocument(report), null, 2)}\n`);
        report.planPath = path;
    }
    catch (error) {
        log.warning(`Could not write the plan file: ${errorMessage(error)}`);
    }
}

;// CONCATENATED MODULE: ./src/restore-action.ts








/** `operation: restore`: plan, summary, restore, outputs; the summary and outputs are written whatever happens. */
async function restoreStep(inputs) {
    const report = {
        targetVault: inputs.vault.url,
        source: '',
        dryRun: inputs.dryRun,
        policy: inputs.restore.policy,
        filteredOut: 0,
        plan: [],
        outcomes: []
    };
    try {
        const { tenantId, clientId, audience, cloud } = inputs;
        const auth = createCredential({ method: inputs.auth, cloud, clientId, tenantId, audience });
        await restoreVault({ ...inputs, ...inputs.restore }, {
            credential: auth.credential,
            explainSignIn: auth.explainError,
            log: stepLog,
            download: (source, path) => downloadBackup(source, path),
            onPlan: writeRestoreSummary
        }, report);
        concludeStep(restoreFailureMessage(report), inputs.failOnError);
    }
    catch (error) {
        report.fatal = errorMessage(error);
        core/* setFailed */.C1(report.fatal);
    }
    finally {
        for (const [name, value] of Object.entries(restoreOutputs(report)))
            core/* setOutput */.uH(name, value);
        await writeRestoreSummary(report);
    }
}

;// CONCATENATED MODULE: ./src/main.ts






/** The action: read and check every input first, then back up or restore. */
async function run() {
    routeSdkLog(core/* debug */.Yz);
    let inputs;
    try {
        inputs = readInputs();
    }
    catch (error) {
        core/* setFailed */.C1(errorMessage(error));
        return;
    }
    if (inputs.restore)
        await restoreStep({ ...inputs, restore: inputs.restore });
    else
        await backupStep(inputs);
}


/***/ })

};
