// Runs dynalite in its own process (it is the local stack's throughput ceiling, so it gets its own core)
// and reports the port it bound to its parent over IPC. LevelDB under `path` keeps data across restarts.
const level = require('level');

/**
 * LevelDB's write buffer (its memtable; LevelDB's default is 4 MiB). Each full buffer is written out as a table
 * file and merged down the levels in the background, and with dynalite's keys spread over the whole key range
 * every merge rewrites most of the level below it: with 4 MiB, that merging cost per write grew with the data
 * stored, and the local stack slowed down as it ran (a recorded trigger, about 1.2 KB per claim plus its index
 * entry: dynalite's CPU per write from 0.31 to 0.52 ms over 100,000 writes). With 64 MiB, a bench run's writes
 * are merged a few times instead of dozens: 0.32-0.35 ms per write up to 250,000 writes (docs/performance.md, "The
 * local stack slowed down as it ran"). What it costs: up to about twice this in dynalite's memory (the buffer being
 * written out and the next), and a start replays up to this much of LevelDB's log (52 MB: 0.3 s against 0.2 s).
 * Nothing is less durable: every write is in LevelDB's log first, as before.
 */
const WRITE_BUFFER_BYTES = 64 * 1024 * 1024;

// dynalite opens LevelDB itself (`new Level(path, { valueEncoding: 'json' })`, read from `level` when dynalite is
// loaded) and passes no other options: this gives its Level the write buffer. test/unit/local/dynalite-write-buffer.test.ts
// fails if dynalite stops taking its Level from here.
const { Level } = level;
level.Level = class extends Level {
  constructor(location, options) {
    super(location, { ...options, writeBufferSize: WRITE_BUFFER_BYTES });
  }
};
const dynalite = require('dynalite');

const [host, path] = process.argv.slice(2);
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, host, () => {
  process.send({ port: server.address().port });
});
// Exit with the parent: no orphaned database holding the LevelDB lock.
process.on('disconnect', () => server.close(() => process.exit(0)));
