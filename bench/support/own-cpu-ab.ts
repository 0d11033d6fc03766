/**
 * A paired A/B of hookflow's own CPU per request, for one lever at a time (docs/performance.md, "CPU per request"):
 * a handler bundled from two source trees (A: another checkout, e.g. `git archive <rev> | tar -x -C /tmp/a` with
 * node_modules linked in; B: this tree), both required into one process and invoked alternately (A, B, B, A …) with
 * every AWS call answered from the last real answer after AB_AFTER_MS (as part 2's own-CPU column, "after 1 ms"),
 * on the bench stack. Prints the medians and their difference. Two identical trees differ by 0.002 ms or less.
 *
 *   A_TREE=/tmp/a AB_HANDLERS=client-webhook,event-intake npx tsx bench/support/own-cpu-ab.ts
 *
 * AB_N (pairs, default 300), AB_AFTER_MS (default 1), AB_SIZE (1KB or 100KB, default 1KB).
 */
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { rmdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { handlers } from '../../functions/routes';
import { BODY_STORE, handlerBuildOptions } from '../../lib/handler-bundling';
import { testContext } from '../../test/support/api-gateway-events';
import { type BodySize, scenarios, useStackForHandlers } from '../lib/in-process';
import { withStdoutSilenced } from '../lib/log';
import { record, withCachedAnswers } from '../lib/replay';
import { startBenchStack } from '../lib/stack';
import { median } from '../lib/stats';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const root = join(__dirname, '..', '..');
const outRoot = join(root, 'node_modules', '.cache', 'hookflow-own-cpu-ab', `${process.pid}`);
const aTree = process.env.A_TREE;
const names = (process.env.AB_HANDLERS ?? 'client-webhook').split(',');
const pairs = Number(process.env.AB_N ?? 300);
const afterMs = Number(process.env.AB_AFTER_MS ?? 1);
const wantedSize = (process.env.AB_SIZE ?? '1KB') as BodySize;

/** The handler as the bench loads it (bench/lib/bundles.ts, `sdk-external`), from `tree`'s source. */
async function bundle(tree: string, name: string, side: string): Promise<Handler> {
  const spec = handlers.find((h) => h.name === name);
  if (spec === undefined) throw new Error(`no handler named ${name}`);
  const outfile = join(outRoot, side, name, 'index.js');
  await build({
    ...handlerBuildOptions(),
    external: ['@aws-sdk/*', BODY_STORE.importPath],
    entryPoints: [join(tree, 'functions', spec.entry)],
    absWorkingDir: tree,
    outfile,
    logLevel: 'error',
  });
  return (createRequire(__filename)(outfile) as { handler: Handler }).handler;
}

async function main(): Promise<void> {
  if (aTree === undefined) throw new Error('A_TREE: the source tree to compare this one with');
  const stack = await startBenchStack();
  try {
    useStackForHandlers(stack);
    for (const name of names) {
      const sides = { A: await bundle(aTree, name, 'A'), B: await bundle(root, name, 'B') };
      const scenario = scenarios(stack).find((s) => s.handler === name)!;
      const size = scenario.sizes.includes(wantedSize) ? wantedSize : (scenario.sizes[0] ?? null);
      const makeEvent = await scenario.prepare(size, 40 + 2 * pairs);
      const invoke = (handler: Handler, i: number) =>
        handler(makeEvent(i), { ...testContext, awsRequestId: randomUUID() });
      const cpu = { A: [] as number[], B: [] as number[] };
      let unexpected = 0;
      await withStdoutSilenced(async () => {
        // Real answers first (both sides), to be given again from cache.
        for (let i = 0; i < 10; i++) {
          await record(() => invoke(sides.A, i));
          await record(() => invoke(sides.B, 10 + i));
        }
        await withCachedAnswers(
          async () => {
            for (let i = 0; i < 20; i++) await invoke(i % 2 === 0 ? sides.A : sides.B, 20 + i);
            for (let i = 0; i < 2 * pairs; i++) {
              const side = i % 4 === 0 || i % 4 === 3 ? 'A' : 'B';
              const cpu0 = process.cpuUsage();
              const result = await invoke(sides[side], 40 + i);
              const used = process.cpuUsage(cpu0);
              if (!scenario.ok(result)) unexpected++;
              cpu[side].push((used.user + used.system) / 1000);
            }
          },
          { afterMs },
        );
      });
      const a = median(cpu.A);
      const b = median(cpu.B);
      process.stderr.write(
        `${name} ${size ?? ''} (answers after ${afterMs} ms): A ${a.toFixed(3)} ms, B ${b.toFixed(3)} ms, ` +
          `B - A ${(b - a).toFixed(3)} ms (${pairs} each${unexpected > 0 ? `, ${unexpected} unexpected answers` : ''})\n`,
      );
    }
  } finally {
    await stack.stop();
    rmSync(outRoot, { recursive: true, force: true });
    try {
      rmdirSync(dirname(outRoot)); // only if no other run's bundles are there
    } catch {
      // not empty: another run is using it
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
