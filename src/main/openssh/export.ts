import { isUdpForward, type Forward, type Profile } from '../../shared/profile.js';
import { formatJumpHop } from './destination.js';
import { formatBind, formatForwardSpec, formatTarget } from './forward-spec.js';

const FLAG: Record<Forward['kind'], string> = { local: '-L', remote: '-R', dynamic: '-D' };

/**
 * The `ssh -N …` command line equivalent to a profile. Keepalive is always written out because
 * our default (15 s × 3) is not OpenSSH's (off). Lazy mode and probes have no ssh equivalent.
 * A profile that keeps its destination as typed is written that way (the alias, and only the
 * user, port, HostName and jump hosts the command line gave), so editing it and saving it again
 * keeps it tied to ssh_config.
 */
export function profileToArgv(profile: Profile): string[] {
  const argv = ['ssh', '-N'];
  const opt = (key: string, value: string): void => void argv.push('-o', `${key}=${value}`);
  const typed = profile.typed;
  if (typed !== null) {
    if (typed.configFile !== null) argv.push('-F', typed.configFile);
    if (typed.port !== null) argv.push('-p', String(typed.port));
    if (typed.jumps !== null) argv.push('-J', typed.jumps.length > 0 ? typed.jumps.map((h) => formatJumpHop(h, true)).join(',') : 'none');
    if (typed.hostName !== null) opt('HostName', typed.hostName);
  } else {
    if (profile.port !== 22) argv.push('-p', String(profile.port));
    if (profile.jumps.length > 0) argv.push('-J', profile.jumps.map((h) => formatJumpHop(h)).join(','));
  }
  for (const f of profile.forwards) if (!isUdpForward(f)) argv.push(FLAG[f.kind], formatForwardSpec(f));
  for (const file of profile.identityFiles) argv.push('-i', file);
  if (profile.identitiesOnly) opt('IdentitiesOnly', 'yes');
  if (profile.proxyCommand !== null) opt('ProxyCommand', profile.proxyCommand);
  if (profile.knownHostsFiles.length > 0) opt('UserKnownHostsFile', profile.knownHostsFiles.join(' '));
  if (profile.globalKnownHostsFiles.length > 0) opt('GlobalKnownHostsFile', profile.globalKnownHostsFiles.join(' '));
  if (profile.hashKnownHosts) opt('HashKnownHosts', 'yes');
  if (profile.strictHostKeyChecking !== 'ask') opt('StrictHostKeyChecking', profile.strictHostKeyChecking);
  if (profile.batchMode) opt('BatchMode', 'yes');
  if (profile.exitOnForwardFailure) opt('ExitOnForwardFailure', 'yes');
  if (profile.gatewayPorts) argv.push('-g');
  if (profile.connectTimeout !== null) opt('ConnectTimeout', String(profile.connectTimeout));
  if (profile.forwardAgent) argv.push('-A');
  if (profile.compression) argv.push('-C');
  if (profile.addressFamily === 'inet') argv.push('-4');
  if (profile.addressFamily === 'inet6') argv.push('-6');
  if (profile.hostKeyAlias !== null) opt('HostKeyAlias', profile.hostKeyAlias);
  if (profile.bindAddress !== null) opt('BindAddress', profile.bindAddress);
  if (profile.ciphers !== null) opt('Ciphers', profile.ciphers);
  if (profile.macs !== null) opt('MACs', profile.macs);
  if (profile.kexAlgorithms !== null) opt('KexAlgorithms', profile.kexAlgorithms);
  opt('ServerAliveInterval', String(profile.keepalive.interval));
  opt('ServerAliveCountMax', String(profile.keepalive.countMax));
  const [user, host] = typed !== null ? [typed.user, typed.host] : [profile.user, profile.host];
  argv.push(user !== null ? `${user}@${host}` : host);
  return argv;
}

/** POSIX shell quoting, for showing a command line a user can paste. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./[\]-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The UDP forwards ssh cannot carry, as tunnelvision's own flags: "--udp-local 5353:10.0.0.2:53". */
function udpForwardsLeftOut(profile: Profile): string[] {
  return profile.forwards.filter(isUdpForward).map((f) => `--udp-${f.kind} ${formatForwardSpec(f)}`);
}

/**
 * As a command a user can paste. UDP forwards are not silently dropped: OpenSSH forwards only
 * TCP, so they are named in a comment line above the command.
 */
export function profileToCommand(profile: Profile): string {
  const udp = udpForwardsLeftOut(profile);
  const command = profileToArgv(profile).map(shellQuote).join(' ');
  return udp.length === 0 ? command : `# UDP forwards left out (ssh forwards only TCP; tunnelvision runs them): ${udp.join(' ')}\n${command}`;
}

/**
 * What the dashboard's editor shows and reads back: the ssh command line followed by
 * tunnelvision's own UDP flags (as `tunnelvision up` takes them), so editing a profile keeps its
 * UDP forwards. Their idle time and flow limit are written when every UDP forward shares them.
 */
export function profileToEditableCommand(profile: Profile): string {
  const udp = profile.forwards.filter(isUdpForward);
  const words = profileToArgv(profile).map(shellQuote);
  for (const f of udp) words.push(`--udp-${f.kind}`, shellQuote(formatForwardSpec(f)));
  const shared = <K extends 'flowIdleTimeout' | 'maxFlows'>(key: K): number | undefined => {
    const values = new Set(udp.map((f) => f[key]));
    const [only] = [...values];
    return values.size === 1 && only !== undefined ? only : undefined;
  };
  const idle = shared('flowIdleTimeout');
  const max = shared('maxFlows');
  if (idle !== undefined) words.push('--udp-idle-timeout', String(idle));
  if (max !== undefined) words.push('--udp-max-flows', String(max));
  return words.join(' ');
}

function configValue(value: string): string {
  return /\s/.test(value) ? `"${value}"` : value;
}

/** ssh_config separates listen and target with a space: "[bind:]port host:hostport". */
function configForward(forward: Forward): string {
  const target = forward.kind === 'dynamic' ? undefined : forward.target;
  return target === undefined ? formatBind(forward.bind) : `${formatBind(forward.bind)} ${formatTarget(target)}`;
}

/** The profile as an ssh_config(5) Host block. */
export function profileToSshConfig(name: string, profile: Profile): string {
  const lines = [`Host ${name}`, `  HostName ${profile.host}`];
  const add = (key: string, value: string): void => void lines.push(`  ${key} ${value}`);
  if (profile.user !== null) add('User', profile.user);
  if (profile.port !== 22) add('Port', String(profile.port));
  if (profile.jumps.length > 0) add('ProxyJump', profile.jumps.map((h) => formatJumpHop(h)).join(','));
  if (profile.proxyCommand !== null) add('ProxyCommand', profile.proxyCommand);
  for (const file of profile.identityFiles) add('IdentityFile', configValue(file));
  if (profile.identitiesOnly) add('IdentitiesOnly', 'yes');
  if (profile.knownHostsFiles.length > 0) add('UserKnownHostsFile', profile.knownHostsFiles.map(configValue).join(' '));
  if (profile.globalKnownHostsFiles.length > 0) add('GlobalKnownHostsFile', profile.globalKnownHostsFiles.map(configValue).join(' '));
  if (profile.hashKnownHosts) add('HashKnownHosts', 'yes');
  if (profile.strictHostKeyChecking !== 'ask') add('StrictHostKeyChecking', profile.strictHostKeyChecking);
  if (profile.batchMode) add('BatchMode', 'yes');
  if (profile.exitOnForwardFailure) add('ExitOnForwardFailure', 'yes');
  if (profile.gatewayPorts) add('GatewayPorts', 'yes');
  if (profile.connectTimeout !== null) add('ConnectTimeout', String(profile.connectTimeout));
  if (profile.forwardAgent) add('ForwardAgent', 'yes');
  if (profile.compression) add('Compression', 'yes');
  if (profile.addressFamily !== 'any') add('AddressFamily', profile.addressFamily);
  if (profile.hostKeyAlias !== null) add('HostKeyAlias', profile.hostKeyAlias);
  if (profile.bindAddress !== null) add('BindAddress', profile.bindAddress);
  if (profile.ciphers !== null) add('Ciphers', profile.ciphers);
  if (profile.macs !== null) add('MACs', profile.macs);
  if (profile.kexAlgorithms !== null) add('KexAlgorithms', profile.kexAlgorithms);
  // Always written: our default keepalive (15 s × 3) is not OpenSSH's (off).
  add('ServerAliveInterval', String(profile.keepalive.interval));
  add('ServerAliveCountMax', String(profile.keepalive.countMax));
  const keyword: Record<Forward['kind'], string> = { local: 'LocalForward', remote: 'RemoteForward', dynamic: 'DynamicForward' };
  for (const f of profile.forwards) if (!isUdpForward(f)) add(keyword[f.kind], configForward(f));
  const udp = udpForwardsLeftOut(profile);
  if (udp.length > 0) lines.push(`  # UDP forwards left out (ssh_config has no UDP forwarding; tunnelvision runs them): ${udp.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
