// What a terminal's output looks like as lines on a screen, for tests that wait for a command's output.

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences are what is stripped
const CONTROL_SEQUENCE = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * `out` split into lines as a screen shows them: without CSI control sequences (bash's bracketed-paste toggles
 * around every command), each line from its last lone CR on, trimmed.
 */
export function screenLines(out: string): string[] {
  return out.split(/\r?\n/).map((l) => (l.replace(CONTROL_SEQUENCE, '').split('\r').at(-1) ?? '').trim());
}
