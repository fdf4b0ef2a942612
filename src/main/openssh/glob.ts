/**
 * OpenSSH's `*` and `?` patterns (ssh_config Host/Match, known_hosts, algorithm lists, Include
 * paths) as a whole-string RegExp; every other character is literal.
 */
export function globToRegExp(pattern: string, flags = ''): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
}
