/**
 * Characters OpenSSH 9.6+ refuses in user and host names given on the command line
 * (ssh.c valid_hostname/valid_ruser), because they would reach a shell through %h/%r in
 * ProxyCommand or LocalCommand. The same rule holds for names in a saved profile, which the
 * renderer (or a hand-edited file) can supply.
 */
export const SHELL_METACHARACTERS = /['`"$\\;&<>|(){}*?\s\x00-\x1f\x7f]/;

/** A host or user name as ssh would take it from a command line. */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !name.startsWith('-') && !SHELL_METACHARACTERS.test(name);
}
