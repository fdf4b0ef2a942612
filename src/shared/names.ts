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

/**
 * A host name as it may stand in a saved profile. Beyond the command line's rule: `@` (ssh splits
 * user from host at the last one, and a keychain entry is named user@host:port, so it must be
 * unambiguous), and `,` and `!`, which known_hosts reads as a list and a negation — a name
 * written there must not turn into a pattern that pins a key for other hosts.
 */
export function isSafeHostName(name: string): boolean {
  return isSafeName(name) && !/[@,!]/.test(name);
}

/** A HostKeyAlias: written to known_hosts as a host field, so no pattern or marker characters. */
export function isSafeHostKeyAlias(alias: string): boolean {
  return isSafeHostName(alias) && !/^[|[]/.test(alias);
}
