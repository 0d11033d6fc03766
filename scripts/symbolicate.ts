/**
 * Turns a deployed handler's stack trace back into source files and lines: `npm run symbolicate -- <index.js.map>`
 * with the trace on stdin (pasted from CloudWatch Logs, or piped from a file).
 *
 * Handlers run without `--enable-source-maps` (it cost about a tenth of the cold start: lib/handler-bundling.ts),
 * so a logged trace names `/var/task/index.js:1:<column>`. The source map is deployed beside the bundle in the
 * same asset: `cdk.out/asset.<hash>/index.js.map` after `cdk synth` (the hash is the function's code asset in the
 * template), or `dist/handlers/<name>/index.js.map` in the published package. Each `index.js:<line>:<column>` in
 * the input is replaced by `<source>:<line>:<column> (<original name>)`; every other character passes through.
 * The frames mapped are those of the file the map belongs to (its name without `.map`): a handler that stores
 * bodies also has `s3-body-store.js` beside index.js (lib/handler-bundling.ts BODY_STORE), whose frames map with
 * `s3-body-store.js.map`, and one that queues when busy `sqs-fanout-queue.js` (FANOUT_QUEUE), likewise.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SourceMap, type SourceMapPayload } from 'node:module';

function main(): void {
  const mapFile = process.argv[2];
  if (mapFile === undefined || mapFile === '-h' || mapFile === '--help') {
    process.stderr.write('usage: npm run symbolicate -- <index.js.map> < trace.txt\n');
    process.exit(2);
  }
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
  const trace = readFileSync(0, 'utf8');
  const bundle = basename(mapFile)
    .replace(/\.map$/, '')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frame = new RegExp(`(?:[^\\s()]*/)?${bundle}:(\\d+):(\\d+)`, 'g');
  process.stdout.write(
    trace.replace(frame, (whole, line: string, column: string) => {
      // Stack traces count lines and columns from 1; source maps from 0.
      const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
        name?: string;
      };
      if (entry.originalSource === undefined) return whole;
      const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
      const name = entry.name === undefined ? '' : ` (${entry.name})`;
      return `${source}:${entry.originalLine! + 1}:${entry.originalColumn! + 1}${name}`;
    }),
  );
}

main();
