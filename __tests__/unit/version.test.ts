import { readFileSync } from 'node:fs'
import { TOOL_NAME, TOOL_VERSION } from '../../src/version.js'

// The manifest and the User-Agent carry src/version.ts; a release bumps package.json. Keep them one.
it('names the tool and version that package.json gives', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  expect({ name: TOOL_NAME, version: TOOL_VERSION }).toEqual({ name: pkg.name, version: pkg.version })
})
