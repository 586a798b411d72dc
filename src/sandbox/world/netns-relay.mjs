// Runs inside a private network namespace (started as `unshare -n node netns-relay.mjs <spec>`):
// brings loopback up and relays each listed 127.0.0.1 port to a Unix socket the test world serves
// from the host namespace. A program then joined to this namespace (nsenter) reaches the world's
// loopback services at their usual addresses, while anything it listens on, even 0.0.0.0, is
// reachable from nowhere else. Plain JavaScript: it runs with bare `node`, without tsx.
import { execFileSync } from 'node:child_process';
import net from 'node:net';

const spec = JSON.parse(process.argv[2] ?? '{}');
execFileSync(spec.ip ?? 'ip', ['link', 'set', 'lo', 'up']);

let listening = 0;
for (const { port, socket } of spec.forwards ?? []) {
  const server = net.createServer((inside) => {
    const outside = net.connect(socket);
    inside.pipe(outside);
    outside.pipe(inside);
    const close = () => {
      inside.destroy();
      outside.destroy();
    };
    inside.on('error', close);
    outside.on('error', close);
    inside.on('close', close);
    outside.on('close', close);
  });
  server.listen(port, '127.0.0.1', () => {
    if (++listening === spec.forwards.length) process.stdout.write('relay ready\n');
  });
}
if ((spec.forwards ?? []).length === 0) process.stdout.write('relay ready\n');

// The world kills this process when it stops; also go when the world itself is gone.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(0);
  }
}, 1000);
