// Runs dynalite in its own process (it is the local stack's throughput ceiling, so it gets its own core)
// and reports the port it bound to its parent over IPC. LevelDB under `path` keeps data across restarts.
const dynalite = require('dynalite');

const [host, path] = process.argv.slice(2);
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, host, () => {
  process.send({ port: server.address().port });
});
// Exit with the parent: no orphaned database holding the LevelDB lock.
process.on('disconnect', () => server.close(() => process.exit(0)));
