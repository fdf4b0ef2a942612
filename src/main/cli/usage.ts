export const USAGE = `tunnelvision — SSH tunnels, kept alive and shown

Usage:
  tunnelvision parse [--json] [UDP forwards] -- <ssh or autossh command line>
      Print the tunnel profile an ssh command line describes.
  tunnelvision up [--json] [--verbose] [--lazy] [--idle-timeout S] [--probe S] [--gate-time S] -- <ssh or autossh command line>
      Run the tunnel until SIGINT/SIGTERM. With --json, one JSON event per line on stdout.
      The host is looked up in ~/.ssh/config as ssh does (-F FILE for another, -F none for none).
      --verbose          every log line, debug included (ssh's -v in the command line does the same)
      --lazy             bind the listeners now, connect SSH on first use
      --idle-timeout S   a lazy tunnel disconnects after S seconds without connections (300)
      --probe S          check every forward's destination every S seconds
      --gate-time S      like autossh's gate time: give up if the first connection fails or
                         its session ends within S seconds (default: keep retrying)
    UDP forwards (repeatable; ssh has none: a relay runs on the server through perl or python3,
    nothing is installed there):
      --udp-local [bind:]port:host:hostport    datagrams here go to host:hostport from the server
      --udp-remote [bind:]port:host:hostport   datagrams to port on the server come to host:hostport
      --udp-idle-timeout S   close a flow (one client address) after S idle seconds (60; 0 never)
      --udp-max-flows N      past N flows the least recently used is evicted (4096)
  tunnelvision up [--json] [--verbose] <profile name>
      Run a saved profile; its password or passphrase comes from the OS keychain if stored.
  tunnelvision profiles list|show|remove|export [--json] [NAME] [--format ssh|config]
  tunnelvision profiles add --name NAME [--group G] [UDP forwards] -- <ssh command line>
  tunnelvision import [--json] [--save] [PATH]
      Profiles from ~/.ssh/config (or PATH). Nothing in the file is ever executed.
  tunnelvision secret set|delete NAME [--hop user@host:port | --passphrase KEYFILE]
      Store (from stdin) or delete a profile's password or key passphrase in the OS keychain.
      A password belongs to one hop (the destination unless --hop names a jump host) and is
      offered to that server only.
  tunnelvision web [--port N] [--json] [--demo]
      Serve the dashboard on 127.0.0.1 (the printed address carries the access token).
      --demo: sample tunnels of every kind through embedded SSH servers, with live traffic.
  tunnelvision --config-dir DIR <command>
      Use DIR for profiles (default: TUNNELVISION_CONFIG_DIR, else ~/.config/tunnelvision).
  tunnelvision help | --help
  tunnelvision --version

Environment:
  TUNNELVISION_MAX_WINDOW     largest receive window per connection (default 8M; 2M is ssh2's fixed one)
  TUNNELVISION_WINDOW_BUDGET  all receive windows of the process together (default 256M)

Examples:
  tunnelvision up -- ssh -N -L 8080:localhost:80 user@server
  tunnelvision up --json -- autossh -M 0 -N -D 1080 -J jump@bastion user@server
  tunnelvision up --udp-local 5353:127.0.0.1:53 -- ssh user@server

Exit codes: 0 done, 1 the tunnel failed, 2 bad command line.`;

/** `tunnelvision <command> --help`: that command's lines of USAGE, or null for an unknown command. */
export function commandUsage(command: string): string | null {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (/^ {2}tunnelvision /.test(line)) inside = line.startsWith(`  tunnelvision ${command} `) || line === `  tunnelvision ${command}`;
    else if (!/^ {4,}/.test(line)) inside = false;
    if (inside) out.push(line);
  }
  return out.length > 0 ? `Usage:\n${out.join('\n')}` : null;
}
