/**
 * Makes free text (tag values, content types, service messages) safe for one log line: control
 * characters become visible escapes, so a newline cannot start a `::workflow-command::` line, and
 * `::` is broken up in case a runner ever parses mid-line.
 */
export function escapeLog(text: string): string {
  return text
    .replace(CONTROL, ch => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/::/g, ':\u200b:')
}

// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g

/**
 * Makes free text safe inside a Markdown table cell of the job summary: HTML is escaped, Markdown
 * punctuation is backslash-escaped and line breaks are flattened, so text renders as text.
 */
export function escapeMarkdown(text: string): string {
  return escapeLog(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+!|~]/g, ch => `\\${ch}`)
}
