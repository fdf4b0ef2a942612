/**
 * Text bound for a person's terminal. Much of it comes from elsewhere — a server's DISCONNECT
 * reason or keyboard-interactive prompt, a host name from ssh_config — and a terminal obeys
 * escape sequences (`ESC ]0;…` retitles the window, `ESC [2J` clears it). As OpenSSH does with
 * strnvis(3), every C0 and C1 control character but newline and tab is shown as a visible octal
 * escape (`\033`) instead of being sent raw.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Bidi overrides and invisible format characters: they reorder or hide what is shown. */
const FORMAT = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

export function visible(text: string): string {
  return text
    .replace(CONTROL, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)
    .replace(FORMAT, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** Human-readable output on stderr; machine output (JSON) is escaped by JSON itself. */
export function say(text: string): void {
  if (!process.stderr.destroyed) process.stderr.write(visible(text));
}

/** Human-readable output on stdout. */
export function print(text: string): void {
  if (!process.stdout.destroyed) process.stdout.write(visible(text));
}

/**
 * Whoever reads our output can go away (`tunnelvision up --json | head -1`, a parent that died),
 * and then every write fails with EPIPE. Unheard, each failure was an uncaught exception whose
 * report to stderr failed the same way: a chain of nextTicks that starved the event loop, so
 * the tunnels were never stopped and no signal was handled (found: two orphaned `up` processes
 * at 80 % CPU each for 16 minutes, killable only with SIGKILL). ssh dies of SIGPIPE there; we
 * call `onStdoutGone` (stop the tunnels, exit). A failing stderr has nowhere to be reported.
 */
export function watchOutputs(onStdoutGone: () => void): void {
  process.stdout.on('error', () => onStdoutGone());
  process.stderr.on('error', () => undefined);
}

/**
 * One JSON value on a line of its own. JSON escapes C0 itself but passes DEL, C1 and format
 * characters through raw, and a terminal showing the stream would obey U+009B as CSI or reorder
 * text at U+202E: those are escaped too (still valid JSON, the same string once parsed).
 */
export function jsonLine(value: unknown): string {
  const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return `${JSON.stringify(value).replace(/[\u007f-\u009f]/g, escape).replace(FORMAT, escape)}\n`;
}
