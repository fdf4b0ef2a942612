/**
 * Text bound for a person's terminal. Much of it comes from elsewhere — a server's DISCONNECT
 * reason or keyboard-interactive prompt, a host name from ssh_config — and a terminal obeys
 * escape sequences (`ESC ]0;…` retitles the window, `ESC [2J` clears it). As OpenSSH does with
 * strnvis(3), every C0 and C1 control character but newline and tab is shown as a visible octal
 * escape (`\033`) instead of being sent raw.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Human-readable output on stderr; machine output (JSON) is escaped by JSON itself. */
export function say(text: string): void {
  process.stderr.write(visible(text));
}

/** Human-readable output on stdout. */
export function print(text: string): void {
  process.stdout.write(visible(text));
}

/**
 * One JSON value on a line of its own. JSON escapes C0 itself but passes DEL and C1 through
 * raw, and a terminal showing the stream would obey U+009B as CSI: those are escaped too.
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
