/** Written into each manifest and the User-Agent. Keep in step with package.json's version. */
export const TOOL_NAME = 'keyvault-backup'
export const TOOL_VERSION = '0.1.0'
