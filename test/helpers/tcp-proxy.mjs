// A ProxyCommand for tests: connects to host:port and relays stdin/stdout, like `nc host port`.
import { connect } from 'node:net';

const [host, port] = process.argv.slice(2);
const socket = connect(Number(port), host);
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', (err) => {
  process.stderr.write(`tcp-proxy: ${err.message}\n`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
