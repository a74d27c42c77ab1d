/** Written into each manifest and the User-Agent; __tests__/unit/version.test.ts keeps it equal to package.json. */
export const TOOL_NAME = 'keyvault-backup'
export const TOOL_VERSION = '0.1.0'
