/**
 * Where a handler's own CPU per request goes (docs/performance.md, "CPU per request"): the handler bundled from this
 * tree as the bench bundles it but unminified (readable function names), invoked AB_N times (default 3000) on the
 * bench stack with every AWS call answered from the last real answer after AB_AFTER_MS (default 1), as
 * own-cpu-ab.ts does, under V8's sampling profiler. Writes /tmp/prof-<handler>.cpuprofile (Chrome DevTools opens
 * it) and prints each function's time per request, inclusive, the largest first. A guide to candidates only: the
 * samples are about 0.1 ms apart, and the profiler itself costs CPU; measure a candidate with own-cpu-ab.ts.
 *
 *   AB_HANDLERS=event-intake npx tsx bench/support/own-cpu-profile.ts
 *
 * AB_SIZE (1KB or 100KB, default 1KB), AB_TOP (rows printed, default 40).
 */
import { build } from 'esbuild';
import type { Profiler } from 'node:inspector';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { handlers } from '../../functions/routes';
import { BODY_STORE, handlerBuildOptions } from '../../lib/handler-bundling';
import { testContext } from '../../test/support/api-gateway-events';
import { type BodySize, scenarios, useStackForHandlers } from '../lib/in-process';
import { withStdoutSilenced } from '../lib/log';
import { record, withCachedAnswers } from '../lib/replay';
import { startBenchStack } from '../lib/stack';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const root = join(__dirname, '..', '..');
const name = process.env.AB_HANDLERS ?? 'event-intake';
const n = Number(process.env.AB_N ?? 3000);
const afterMs = Number(process.env.AB_AFTER_MS ?? 1);
const wantedSize = (process.env.AB_SIZE ?? '1KB') as BodySize;

async function main() {
  const stack = await startBenchStack();
  try {
    useStackForHandlers(stack);
    const spec = handlers.find((h) => h.name === name)!;
    const outfile = join(root, 'node_modules', '.cache', 'hookflow-prof', name, 'index.js');
    await build({
      ...handlerBuildOptions(),
      minify: false,
      external: ['@aws-sdk/*', BODY_STORE.importPath],
      entryPoints: [join(root, 'functions', spec.entry)],
      outfile,
      logLevel: 'error',
    });
    const handler = (createRequire(__filename)(outfile) as { handler: Handler }).handler;
    const scenario = scenarios(stack).find((s) => s.handler === name)!;
    const size = scenario.sizes.includes(wantedSize) ? wantedSize : (scenario.sizes[0] ?? null);
    const makeEvent = await scenario.prepare(size, n + 40);
    const invoke = (i: number) => handler(makeEvent(i), { ...testContext, awsRequestId: randomUUID() });
    let profiled: Profiler.Profile | undefined;
    const session = new Session();
    session.connect();
    await withStdoutSilenced(async () => {
      for (let i = 0; i < 10; i++) await record(() => invoke(i));
      await withCachedAnswers(
        async () => {
          for (let i = 0; i < 30; i++) await invoke(10 + i);
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 50 });
          await session.post('Profiler.start');
          for (let i = 0; i < n; i++) await invoke(40 + i);
          const { profile } = await session.post('Profiler.stop');
          writeFileSync(`/tmp/prof-${name}.cpuprofile`, JSON.stringify(profile));
          profiled = profile;
        },
        { afterMs },
      );
    });
    if (profiled !== undefined) printInclusive(profiled, n, Number(process.env.AB_TOP ?? 40));
  } finally {
    await stack.stop();
  }
}

/** Each function's inclusive time per request (µs), by name, file and line, counted once per sample. */
function printInclusive(profile: Profiler.Profile, requests: number, top: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = ({ callFrame: f }: Profiler.ProfileNode) =>
    `${f.functionName || '(anonymous)'} ${f.url.replace(/.*node_modules\//, '').replace(/.*hookflow-prof\//, '')}:${f.lineNumber + 1}`;
  const inclusive = new Map<string, number>();
  profile.samples?.forEach((sample, index) => {
    const delta = profile.timeDeltas?.[index] ?? 0;
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const key = label(byId.get(id)!);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
      seen.add(key);
    }
  });
  for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stderr.write(`${(us / requests).toFixed(1).padStart(8)} µs  ${key}\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
