// fauxqs (an SQS emulator) in a child process of the local stack; reports its port over IPC, exits when
// the parent disconnects. fauxqs is ESM-only and always listens on 0.0.0.0; the stack promises loopback
// only, so the listen call is pointed at the requested host before fauxqs makes it.
import net from 'node:net';

const [host, dataDir] = process.argv.slice(2);
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (options, ...rest) {
  if (options !== null && typeof options === 'object' && options.host === '0.0.0.0') {
    return listen.call(this, { ...options, host }, ...rest);
  }
  return listen.call(this, options, ...rest);
};

const { startFauxqs } = await import('fauxqs');
// No `host` option: it would name queue URLs sqs.<region>.<host>; without it they are http://127.0.0.1:<port>/…
const server = await startFauxqs({ port: 0, logger: false, dataDir });
process.send({ port: server.port });
process.on('disconnect', () => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
