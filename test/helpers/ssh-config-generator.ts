import { userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A seeded generator of ssh_config files and ssh command lines for the `ssh -G` differential
 * suite. It draws from the forms users write: Host patterns with `*`, `?`, negation and several
 * patterns; Match host/originalhost/user/localuser/all (never exec: ssh -G would run it);
 * conditional and nested Include with absolute paths and globs; keyword case, `=` and tab
 * separators, quoted values, repeated keywords; %h and %% in HostName; -L/-R/-D in every bind
 * form, -p, -l, -J, -o, -g, -C, -4/-6, -b, -c, -m, user@ and ssh:// destinations.
 *
 * The jump-host names (bastion, jump2, gw) get ProxyJump only in ways that cannot loop (gw never
 * has one), since `ssh -G` would print a looping chain while connecting with it never ends.
 */

export interface GeneratedCase {
  seed: number;
  /** file name (relative to the case directory) → contents */
  files: Map<string, string>;
  /** The ssh arguments after `ssh`, with `-F` pointing into the case directory. */
  argv: string[];
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DESTINATIONS = ['db1', 'db2', 'web', 'Web', 'h1.example.com', '10.0.0.5', 'db-2.internal', 'bastion', 'WEB01'];
const JUMP_HOSTS = ['bastion', 'jump2', 'gw'];
const USERS = ['ops', 'alice', 'bob', 'deploy'];
const HOSTNAMES = ['h1.example.com', '%h.example.net', '%h', '10.1.2.3', 'UP.Example.ORG', 'x%%y.example', '%h-%h.lan', '%h.example.net', '%p.example', '%r.example'];
const HOST_PATTERNS = ['*', 'db*', 'db?', 'web', 'Web', '*.internal', '!db1', '!web', 'h1.*', '10.0.0.*', 'WEB*', 'bastion', 'jump2', 'gw', 'j*', '!gw'];
const MATCH_HOSTS = ['db*', 'h1.example.com', '*.example.net', 'WEB', 'web', '10.*', 'up.example.org', 'gw', 'jump2.example.net', '*'];
const LOCAL_FORWARDS = ['9001 db:1', '127.0.0.1:9011 db:11', '*:9021 [::1]:21', '[::1]:9031 web:31', 'localhost:9041 h:41'];
const REMOTE_FORWARDS = ['7001 localhost:22', '7011', '[::1]:7021 h:4', '*:7031 db:31', '0 localhost:80'];
const DYNAMIC_FORWARDS = ['1080', 'localhost:1081', '*:1082', '[::1]:1083'];
const CLI_LOCAL = ['9101:db:1', '*:9102:db:2', ':9103:db:3', 'localhost:9104:db:4', '[::1]:9105:db:5', '127.0.0.1:9106:[::1]:6', '9001:db:1'];
const CLI_REMOTE = ['7102', '[::1]:7103:h:4', '0:localhost:22', '*:7104:web:80', ':7105:db:5', '7001:localhost:22'];
const CLI_DYNAMIC = ['1180', 'localhost:1181', '*:1182', '[::1]:1183'];
const CLI_JUMPS = ['bastion', 'ops@bastion:2222', 'jump2,gw', 'bastion,jump2', 'ssh://alice@gw:2022', 'gw,[::1]:2200', 'Bastion', 'none'];

export function generateCase(seed: number, dir: string): GeneratedCase {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number): boolean => r() < p;
  const between = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const me = userInfo().username;

  const keyword = (name: string): string => (chance(0.15) ? name.toLowerCase() : chance(0.1) ? name.toUpperCase() : name);
  const separator = (): string => pick([' ', ' ', '=', ' = ', '\t', '\t=\t']);
  const quoted = (value: string): string => (chance(0.15) && !/[\s"]/.test(value) ? `"${value}"` : value);
  const line = (name: string, value: string): string => `${pick(['  ', '\t', ''])}${keyword(name)}${separator()}${quoted(value)}`;

  /** One option line; `mayJump` only where the block cannot match a jump host in a loop. */
  const option = (mayJump: boolean): string => {
    const choices: (() => string)[] = [
      () => line('HostName', pick(HOSTNAMES)),
      () => line('User', pick(USERS)),
      () => line('Port', String(pick([22, 2200, 2222, 8022, 443]))),
      () => line('LocalForward', pick(LOCAL_FORWARDS)),
      () => line('RemoteForward', pick(REMOTE_FORWARDS)),
      () => line('DynamicForward', pick(DYNAMIC_FORWARDS)),
      () => line('ServerAliveInterval', pick(['0', '5', '30', '1m', '2m30s'])),
      () => line('ServerAliveCountMax', pick(['1', '3', '7'])),
      () => line('GatewayPorts', pick(['yes', 'no'])),
      () => line('ExitOnForwardFailure', pick(['yes', 'no'])),
      () => line('StrictHostKeyChecking', pick(['yes', 'no', 'ask', 'accept-new'])),
      () => line('ConnectTimeout', pick(['5', '30', '1m'])),
      () => line('Compression', pick(['yes', 'no'])),
      () => line('AddressFamily', pick(['any', 'inet', 'inet6'])),
      () => line('IdentitiesOnly', pick(['yes', 'no'])),
      () => line('BatchMode', pick(['yes', 'no'])),
      () => line('GlobalKnownHostsFile', pick(['/etc/ssh/kh_a', '/etc/ssh/kh_a /etc/ssh/kh_b', 'none'])),
      () => line('HashKnownHosts', pick(['yes', 'no'])),
      () => line('BindAddress', pick(['127.0.0.1', '::1'])),
      () => line('HostKeyAlias', pick(['alias.example', 'Alias.Example'])),
      () => line('ForwardAgent', pick(['yes', 'no'])),
      () => line('UserKnownHostsFile', pick(['~/.ssh/kh_a', '/etc/kh_b ~/kh_c', 'none'])),
      () => line('Ciphers', pick(['aes128-ctr', 'aes256-gcm@openssh.com,aes128-ctr'])),
      () => line('MACs', pick(['hmac-sha2-256', 'hmac-sha2-512-etm@openssh.com'])),
      () => line('KexAlgorithms', pick(['curve25519-sha256', 'ecdh-sha2-nistp256,curve25519-sha256'])),
      () => line('IdentityFile', pick([join(dir, 'id_a'), '~/.ssh/id_from_config', join(dir, 'id_missing')])),
    ];
    if (mayJump) {
      choices.push(() => line('ProxyJump', pick(['bastion', 'jump2', 'ops@jump2:2201', 'bastion,jump2', 'none'])));
      choices.push(() => line('ProxyCommand', pick(['nc -x proxy:1080 %h %p', 'none', 'ssh -W %h:%p gw'])));
    }
    return pick(choices)();
  };

  const files = new Map<string, string>([
    ['id_a', 'not a key\n'],
    ['id_b', 'not a key\n'],
  ]);
  const includeCount = between(0, 3);
  const includeNames = Array.from({ length: includeCount }, (_, i) => `inc/part-${i}.conf`);

  const matchHeader = (): string => {
    if (chance(0.15)) return 'Match all';
    // `final` makes ssh read the files twice; `canonical` holds only in that second pass.
    if (chance(0.12)) return `${keyword('Match')} ${pick(['final', 'canonical', '!final', 'final all', 'canonical all'])}${chance(0.5) ? ` host ${pick(MATCH_HOSTS)}` : ''}`;
    const criteria: string[] = [];
    for (let n = between(1, 2); n > 0; n--) {
      const neg = chance(0.2) ? '!' : '';
      switch (pick(['host', 'originalhost', 'user', 'localuser'])) {
        case 'host':
          criteria.push(`${neg}host ${pick(MATCH_HOSTS)}${chance(0.3) ? `,${pick(MATCH_HOSTS)}` : ''}`);
          break;
        case 'originalhost':
          criteria.push(`${neg}originalhost ${pick([...DESTINATIONS, ...HOST_PATTERNS.filter((p) => !p.startsWith('!'))])}`);
          break;
        case 'user':
          criteria.push(`${neg}user ${pick(USERS)}${chance(0.3) ? `,${pick([...USERS, me])}` : ''}`);
          break;
        default:
          criteria.push(`${neg}localuser ${pick([me, 'nobody', `${me.slice(0, 1)}*`])}`);
      }
    }
    return `${keyword('Match')} ${criteria.join(' ')}`;
  };

  /** A file's body: blocks of options, some with Includes of the files after it (no loops). */
  const body = (index: number): string => {
    const out: string[] = [];
    const later = includeNames.slice(index + 1);
    const includeLine = (): string => {
      const target = pick(later);
      const path = chance(0.4) ? join(dir, 'inc', 'part-*.conf').replace('part-*', `part-${target.match(/\d+/)![0]}*`) : join(dir, target);
      return `${pick(['', '  '])}${keyword('Include')} ${path}`;
    };
    for (let n = between(0, 2); n > 0; n--) out.push(option(false));
    for (let b = between(1, 5); b > 0; b--) {
      let mayJump = false;
      if (chance(0.65)) {
        const patterns = Array.from({ length: between(1, 3) }, () => pick(HOST_PATTERNS));
        if (patterns.every((p) => p.startsWith('!'))) patterns.push('*');
        // A ProxyJump may stand only where no jump host matches it back (gw never jumps).
        const jumpSafe = patterns.every((p) => ['db*', 'db?', 'web', 'Web', '*.internal', 'h1.*', '10.0.0.*', 'WEB*'].includes(p) || p.startsWith('!'));
        mayJump = jumpSafe && patterns.some((p) => !p.startsWith('!'));
        out.push(`${keyword('Host')} ${patterns.join(' ')}`);
      } else out.push(matchHeader());
      for (let n = between(1, 4); n > 0; n--) {
        if (later.length > 0 && chance(0.2)) out.push(includeLine());
        else out.push(option(mayJump));
      }
    }
    if (chance(0.2)) out.push(`${keyword('Host')} bastion`, line('ProxyJump', 'gw'));
    return `${out.join('\n')}\n`;
  };

  for (let i = includeNames.length - 1; i >= 0; i--) files.set(includeNames[i]!, body(i));
  const main: string[] = [];
  if (includeNames.length > 0 && chance(0.5)) main.push(`Include ${join(dir, 'inc', chance(0.5) ? 'part-*.conf' : 'part-0.conf')}`);
  main.push(body(-1));
  // Rarely, an Include loop: ssh stops with "Too many recursive configuration includes".
  if (chance(0.02)) main.push(`Host ${pick(HOST_PATTERNS)}`, `  Include ${join(dir, 'config')}`);
  files.set('config', main.join('\n'));

  // The command line.
  const argv: string[] = [];
  const cli: (() => string[])[] = [
    () => ['-L', pick(CLI_LOCAL)],
    () => [`-L${pick(CLI_LOCAL)}`],
    () => ['-R', pick(CLI_REMOTE)],
    () => ['-D', pick(CLI_DYNAMIC)],
    () => ['-p', String(pick([22, 2022, 8022, 443]))],
    () => ['-l', pick(USERS)],
    () => ['-J', pick(CLI_JUMPS)],
    () => [`-J${pick(CLI_JUMPS.filter((j) => j.includes(',')))}`],
    () => ['-g'],
    () => ['-C'],
    () => [pick(['-4', '-6'])],
    () => ['-N'],
    () => ['-A'],
    // Existing files only: ssh drops a -i file it cannot stat (IDENTITY_FILE_KEPT).
    () => ['-i', join(dir, pick(['id_a', 'id_b']))],
    () => ['-fNT'],
    () => ['-b', pick(['127.0.0.1', '::1'])],
    () => ['-c', pick(['aes128-ctr', 'aes256-ctr', 'aes128-ctr,aes256-ctr'])],
    () => ['-m', pick(['hmac-sha2-256', 'hmac-sha2-512'])],
    () => ['-o', cliOption()],
    () => ['-o', cliOption()],
  ];
  function cliOption(): string {
    const sep = pick(['=', ' ', '=']);
    return pick([
      () => `Port${sep}${pick([2022, 9022])}`,
      () => `User${sep}${pick(USERS)}`,
      () => `ProxyJump${sep}${pick(CLI_JUMPS)}`,
      () => `HostName${sep}${pick(HOSTNAMES.filter((h) => !h.includes('%%') && !h.includes('%p')))}`,
      () => `GatewayPorts${sep}${pick(['yes', 'no'])}`,
      () => `Compression${sep}${pick(['yes', 'no'])}`,
      () => `AddressFamily${sep}${pick(['any', 'inet', 'inet6'])}`,
      () => `ServerAliveInterval${sep}${pick(['10', '0'])}`,
      () => `ServerAliveCountMax${sep}${pick(['2', '5'])}`,
      () => `StrictHostKeyChecking${sep}${pick(['yes', 'no', 'accept-new'])}`,
      () => `ExitOnForwardFailure${sep}${pick(['yes', 'no'])}`,
      () => `ConnectTimeout${sep}${pick(['10', '2m'])}`,
      () => `BatchMode${sep}${pick(['yes', 'no'])}`,
      () => `IdentitiesOnly${sep}yes`,
      () => `LocalForward${sep}${pick(LOCAL_FORWARDS)}`,
      () => `DynamicForward${sep}${pick(DYNAMIC_FORWARDS)}`,
      () => `GlobalKnownHostsFile${sep}/etc/ssh/kh_cli`,
      () => `HashKnownHosts${sep}${pick(['yes', 'no'])}`,
      () => `BindAddress${sep}127.0.0.1`,
      () => `Ciphers${sep}aes256-ctr`,
      () => `MACs${sep}hmac-sha2-512`,
      () => `HostKeyAlias${sep}Cli.Alias`,
      () => `ForwardAgent${sep}${pick(['yes', 'no'])}`,
      () => `ProxyCommand${sep}nc %h %p`,
      () => `UserKnownHostsFile${sep}/tmp/kh_cli`,
      () => `IdentityFile${sep}${join(dir, 'id_b')}`,
    ])();
  }
  // Now and then something both must refuse.
  const broken: (() => string[])[] = [
    () => ['-L', 'abc'],
    () => ['-p', '0'],
    () => ['-o', 'Port=70000'],
    () => ['-o', 'Frobnicate=yes'],
    () => ['-R', '1:2:3:4:5'],
    () => ['-o', 'ServerAliveInterval=soon'],
    () => ['-o', 'AddressFamily=ipx'],
    () => ['-Z'],
  ];
  const before = between(0, 6);
  const after = chance(0.25) ? between(1, 2) : 0;
  const configAt = between(0, before);
  for (let n = 0; n < before; n++) {
    if (n === configAt) argv.push(...(chance(0.15) ? ['-F', '/dev/null'] : []), '-F', join(dir, 'config'));
    argv.push(...pick(cli)());
  }
  if (configAt === before) argv.push('-F', join(dir, 'config'));
  if (chance(0.05)) argv.push(...pick(broken)());
  const host = pick(DESTINATIONS);
  argv.push(pick([host, host, `${pick(USERS)}@${host}`, /^[\d.]+$|^[a-z]/i.test(host) ? `ssh://${pick(USERS)}@${host}:${pick([22, 2201])}` : host]));
  for (let n = 0; n < after; n++) argv.push(...pick(cli)());
  return { seed, files, argv };
}
