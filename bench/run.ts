/**
 * hookflow's benchmark suite (issue 7): `npm run bench`, or `npx tsx bench/run.ts [part…]`.
 *
 *   coldstart  each handler as `cdk synth` bundles it, loaded in fresh Node processes paired with empty ones
 *   gateway    keyed flow-trigger req/s and p99 through the local stack, paired with a like-for-like ceiling
 *   fanout     a 1,000-item inbound batch: time to 202, to every run started, and the SQS calls made
 *   handlers   CPU per request of each handler in process, paired with the same AWS calls sent bare
 *   aws-calls  AWS calls per request of each style's main route
 *   deliveries delivery recording: latency recorded vs not (paired), its calls and the items it writes
 *   cost       $ per million webhooks and batched items next to their floors, and what recording adds, from the above
 *   render     only regenerate docs/BENCHMARKS.md from bench/results.json
 *
 * Benchmarks, not tests: nothing fails on a missed target. Raw figures go to bench/results.json (parts not
 * run keep their last figures) and docs/BENCHMARKS.md is regenerated from them and bench/analysis.md.
 */
import { runAwsCalls } from './parts/aws-calls';
import { runColdStart } from './parts/cold-start';
import { computeCost } from './parts/cost';
import { runDeliveries } from './parts/deliveries';
import { runFanout } from './parts/fanout';
import { runGateway } from './parts/gateway';
import { runHandlerCpu } from './parts/handler-cpu';
import type { ScenarioRun } from './lib/in-process';
import { log } from './lib/log';
import { describeMachine } from './lib/machine';
import {
  loadResults,
  PART_NAMES,
  type PartData,
  type PartName,
  type PartRecord,
  resultsFile,
  saveResults,
  writeFormatted,
} from './lib/results';
import { type BenchStack, startBenchStack } from './lib/stack';
import { docsFile, evaluateTargets, passes, render } from './render';

const STACK_PARTS = new Set<PartName>(['gateway', 'fanout', 'handlers', 'aws-calls', 'deliveries']);

function usage(): never {
  process.stderr.write(
    `usage: npx tsx bench/run.ts [${PART_NAMES.join('|')}|render]…\n(no argument: every part, in this order)\n`,
  );
  process.exit(2);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.some((a) => a === '-h' || a === '--help')) usage();
  const renderOnly = args.length === 1 && args[0] === 'render';
  const unknown = args.filter((a) => a !== 'render' && !(PART_NAMES as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown part(s): ${unknown.join(', ')}\n`);
    usage();
  }
  const selected = renderOnly ? [] : args.length === 0 ? [...PART_NAMES] : PART_NAMES.filter((p) => args.includes(p));
  const command = `npx tsx bench/run.ts${args.length > 0 ? ` ${args.join(' ')}` : ''}`;
  const results = loadResults();
  let failed = false;

  let stack: BenchStack | undefined;
  const stopStack = async () => {
    const running = stack;
    stack = undefined;
    if (running !== undefined) {
      log('stack', 'stopping the local stack');
      await running.stop();
    }
  };
  const onSignal = (signal: string) => {
    log('bench', `${signal}: stopping`);
    void stopStack().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  const getStack = async () => {
    if (stack === undefined) {
      log('stack', 'starting the local stack (tsx local/start.ts, fresh data folder, AWS call counter preloaded)');
      stack = await startBenchStack();
      log('stack', `ready at ${stack.url}; processes ${JSON.stringify(stack.pids)}`);
    }
    return stack;
  };

  let handlerRuns: ScenarioRun[] | undefined;
  const runners: { [K in PartName]: () => Promise<PartData[K]> } = {
    coldstart: () => runColdStart(),
    gateway: async () => runGateway(await getStack()),
    fanout: async () => runFanout(await getStack()),
    handlers: async () => {
      const result = await runHandlerCpu(await getStack());
      handlerRuns = result.runs;
      return result;
    },
    'aws-calls': async () => runAwsCalls(await getStack(), handlerRuns),
    deliveries: async () => runDeliveries(await getStack()),
    cost: async () => {
      const handlers = results.parts.handlers?.data;
      const fanout = results.parts.fanout?.data;
      if (handlers === undefined || fanout === undefined) {
        throw new Error('cost needs the handlers and fanout figures: run those parts first');
      }
      // The flow trigger's measured load (wall), shown beside the INIT duration the cost assumes.
      const cold = results.parts.coldstart?.data as
        { handlers?: { name: string; load?: { handlerMs?: number } }[] } | undefined;
      const loadMs = cold?.handlers?.find((h) => h.name === 'flow-trigger')?.load?.handlerMs;
      return computeCost(handlers, fanout, loadMs, results.parts.deliveries?.data);
    },
  };

  try {
    for (const part of selected) {
      if (!STACK_PARTS.has(part)) await stopStack();
      const machine = describeMachine();
      const startedAt = new Date().toISOString();
      const t0 = Date.now();
      log(part, `starting (${selected.indexOf(part) + 1}/${selected.length})`);
      let record: PartRecord<unknown>;
      try {
        const data = await runners[part]();
        record = { command, startedAt, seconds: Math.round((Date.now() - t0) / 1000), machine, data };
        log(part, `done in ${record.seconds} s`);
      } catch (error) {
        failed = true;
        const message = (error as Error).stack ?? String(error);
        log(part, `FAILED: ${message}`);
        record = { command, startedAt, seconds: Math.round((Date.now() - t0) / 1000), machine, error: message };
      }
      (results.parts as Record<string, PartRecord<unknown>>)[part] = record;
      await saveResults(results);
    }
  } finally {
    await stopStack();
  }

  await writeFormatted(docsFile, render(results));
  log('bench', `wrote ${resultsFile} and ${docsFile}`);
  for (const target of evaluateTargets(results)) {
    log(
      'targets',
      `${passes(target) ? 'pass' : 'MISS'}  ${target.description}: ${target.sides}, ×${target.ratio.toFixed(2)} (limit ${target.kind === 'min' ? '≥' : '≤'} ×${target.limit})`,
    );
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log('bench', `failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
