/**
 * What tying each AWS call to its invocation with Node's AsyncLocalStorage would cost a handler's CPU (docs/scale.md,
 * gap 9: a deadline answer needs every call of the invocation cut short there, and hookflow's clients send no
 * per-call options). A measurement only; nothing of it is deployed.
 *
 *   npx tsx bench/support/async-context-cost.ts              ROUNDS rounds (default 11), INVOCATIONS per process (5000)
 *
 * Three variants, each in fresh Node processes (node_modules' Node 22, as the bench), interleaved: each round runs
 * the three in a rotated order, so none always runs first.
 *   plain   an "invocation" is two DynamoDB GetItems in a row (a keyed trigger's claim and start make two calls),
 *           through a client built as functions/adapters/aws/clients.ts builds it (cached middleware), with an
 *           initialize-step middleware that reads a module variable (what a deadline would read in Lambda, where
 *           an environment runs one invocation at a time);
 *   als     the same invocation inside `AsyncLocalStorage.run`, the middleware reading `getStore()`: correct when
 *           invocations interleave in one process (the local stack); Node 22's default implementation, on
 *           async_hooks' promise hooks, which then run for every promise in the process;
 *   frame   `als` with `--experimental-async-context-frame` (through NODE_OPTIONS, which accepts it; the default
 *           from Node 24): the store travels with each promise's context frame instead of through hooks.
 * The HTTP handler is a stub that answers at once with a canned GetItem answer, so the figure is the SDK's and
 * the context's CPU, not a network's. CPU is process.cpuUsage() (user + system) around the measured invocations
 * only, after 500 warm-up ones; per invocation in µs. Figures: the median over the rounds per variant, the ratio
 * of medians to `plain`, and the median of the per-round ratios. Prints to stdout; writes nothing.
 */
import type { MiddlewareStack } from '@smithy/types';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { CACHE_MIDDLEWARE } from '../../functions/adapters/aws/clients';
import { root } from '../lib/bundles';
import { median, round } from '../lib/stats';

const VARIANTS = ['plain', 'als', 'frame'] as const;
type Variant = (typeof VARIANTS)[number];
const ROUNDS = Number(process.env.ROUNDS ?? 11);
const INVOCATIONS = Number(process.env.INVOCATIONS ?? 5_000);
const WARM_UP = 500;

/** One process's work: prints its CPU per invocation in µs. */
async function child(variant: Variant): Promise<void> {
  const answer = Buffer.from('{"Item":{"pk":{"S":"claim#key"},"expiresAt":{"N":"1767225600"}}}');
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    cacheMiddleware: CACHE_MIDDLEWARE,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: Readable.from([answer]),
        },
      }),
    } as never,
  });
  const storage = new AsyncLocalStorage<{ deadline: number }>();
  let current = { deadline: 0 };
  let seen = 0;
  (client.middlewareStack as unknown as MiddlewareStack<object, object>).add(
    (next) => async (args) => {
      const invocation = variant === 'plain' ? current : storage.getStore();
      if (invocation !== undefined && invocation.deadline > 0) seen++;
      return next(args);
    },
    { step: 'initialize', name: 'readInvocation' },
  );
  const calls = async () => {
    await client.send(new GetItemCommand({ TableName: 'hookflow-dedupe', Key: { pk: { S: 'claim#key' } } }));
    await client.send(new GetItemCommand({ TableName: 'hookflow-dedupe', Key: { pk: { S: 'claim#key' } } }));
  };
  const invoke = (i: number) => {
    const invocation = { deadline: Date.now() + 10_000 + i };
    if (variant === 'plain') {
      current = invocation;
      return calls();
    }
    return storage.run(invocation, calls);
  };
  for (let i = 0; i < WARM_UP; i++) await invoke(i);
  const before = process.cpuUsage();
  for (let i = 0; i < INVOCATIONS; i++) await invoke(i);
  const used = process.cpuUsage(before);
  if (seen !== 2 * (WARM_UP + INVOCATIONS)) throw new Error(`the middleware saw ${seen} invocations' calls`);
  process.stdout.write(`${JSON.stringify({ cpuUs: (used.user + used.system) / INVOCATIONS })}\n`);
}

async function parent(): Promise<void> {
  const run = promisify(execFile);
  const tsx = createRequire(`${root}/package.json`).resolve('tsx/cli');
  const samples: Record<Variant, number[]> = { plain: [], als: [], frame: [] };
  const ratios: Record<Variant, number[]> = { plain: [], als: [], frame: [] };
  console.log(`${ROUNDS} rounds of ${INVOCATIONS} invocations per process; load average ${loadavg()[0]!.toFixed(2)}`);
  for (let r = 0; r < ROUNDS; r++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!);
    const round: Partial<Record<Variant, number>> = {};
    for (const variant of order) {
      const env = {
        ...process.env,
        NODE_OPTIONS: variant === 'frame' ? '--experimental-async-context-frame' : '',
      };
      const { stdout } = await run(process.execPath, [tsx, __filename, 'child', variant], { cwd: root, env });
      round[variant] = (JSON.parse(stdout.trim().split('\n').pop()!) as { cpuUs: number }).cpuUs;
      samples[variant].push(round[variant]);
    }
    for (const variant of VARIANTS) ratios[variant].push(round[variant]! / round.plain!);
  }
  console.log(
    'variant | µs CPU per invocation (two GetItems), median | ratio of medians to plain | median per-round ratio',
  );
  for (const variant of VARIANTS) {
    console.log(
      `${variant} | ${round(median(samples[variant]), 1)} | ×${round(median(samples[variant]) / median(samples.plain), 3)} | ×${round(median(ratios[variant]), 3)}`,
    );
  }
  console.log(`load average at the end ${loadavg()[0]!.toFixed(2)}`);
}

if (process.argv[2] === 'child') {
  void child(process.argv[3] as Variant);
} else {
  void parent();
}
