import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioRun } from './lib/in-process';
import type { Machine } from './lib/machine';
import type { PartName, PartRecord, Results } from './lib/results';
import type { CostTable } from './parts/cost';

export const docsFile = join(__dirname, '..', 'docs', 'BENCHMARKS.md');
const analysisFile = join(__dirname, 'analysis.md');

export interface Target {
  readonly id: string;
  /** The bench/analysis.md section that explains a miss. */
  readonly group: string;
  readonly part: PartName;
  readonly description: string;
  readonly measured: number;
  readonly limit: number;
  readonly unit: string;
  /** `max`: the measured value must stay at or under the limit; `min`: at or above it. */
  readonly kind: 'max' | 'min';
  /** The figure must be strictly under the limit (`under 50 ms`), not merely at it. */
  readonly strict?: boolean;
}

export const passes = (t: Target) =>
  t.kind === 'min' ? t.measured >= t.limit : t.strict === true ? t.measured < t.limit : t.measured <= t.limit;

/** Measured against the limit: how far over it a `max` figure is (1.5 = 50% over); for `min`, the share of it reached. */
export const ratioOf = (t: Target) => (t.limit === 0 ? Number.NaN : t.measured / t.limit);

const KB = 1024;
const num = (value: number, digits = 1) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';
const ms = (value: number, digits = 1) => `${num(value, digits)} ms`;
const kb = (bytes: number) => `${num(bytes / KB, 0)} KB`;
const usd = (value: number) => `$${value < 0.01 ? value.toFixed(5) : value.toFixed(3)}`;

function dynamoWrites(calls: Record<string, number>): number {
  return ['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem', 'DynamoDB.BatchWriteItem']
    .map((op) => calls[op] ?? 0)
    .reduce((a, b) => a + b, 0);
}

const perRecord = (run: ScenarioRun, value: number) => value / run.recordsPerInvocation;

export function evaluateTargets(results: Results): Target[] {
  const targets: Target[] = [];
  const gateway = results.parts.gateway?.data;
  if (gateway !== undefined) {
    targets.push(
      {
        id: 'gateway.throughput',
        group: 'gateway.throughput',
        part: 'gateway',
        description: `flow trigger req/s at ${gateway.settings.connections} connections ≥ 80% of dynalite's conditional PutItem/s`,
        measured: gateway.ratio,
        limit: 0.8,
        unit: 'of the ceiling',
        kind: 'min',
      },
      {
        id: 'gateway.p99',
        group: 'gateway.p99',
        part: 'gateway',
        description: `flow trigger p99 latency at ${gateway.settings.connections} connections under 50 ms`,
        measured: gateway.hookflow.latencyMs.p99,
        limit: 50,
        unit: 'ms',
        kind: 'max',
        strict: true,
      },
    );
  }
  const handlers = results.parts.handlers?.data;
  if (handlers !== undefined) {
    for (const run of handlers.runs.filter((r) => r.size === '1KB' || r.size === null)) {
      const perItem = run.recordsPerInvocation > 1 ? ` (per record of ${run.recordsPerInvocation})` : '';
      targets.push({
        id: `handlers.cpu.${run.handler}${run.dedupe === 'none' ? '.no-key' : ''}`,
        group: 'handlers.cpu',
        part: 'handlers',
        description: `${run.handler}: CPU p50 per request${perItem}, ${run.size === null ? 'no body' : '1 KB body'}, under 1 ms${run.dedupe === 'none' ? ' (no Idempotency-Key)' : ''}`,
        measured: perRecord(run, run.cpuMs.p50),
        limit: 1,
        unit: 'ms',
        kind: 'max',
        strict: true,
      });
    }
  }
  const cold = results.parts.coldstart?.data;
  if (cold !== undefined) {
    for (const h of cold.handlers) {
      targets.push({
        id: `coldstart.ratio.${h.name}`,
        group: 'coldstart.ratio',
        part: 'coldstart',
        description: `${h.name}: a fresh Node process loading it uses at most ${cold.settings.maxRatio}x the CPU of an empty Node process (medians of ${h.load.pairs} pairs)`,
        measured: h.load.cpuRatio,
        limit: cold.settings.maxRatio,
        unit: 'x',
        kind: 'max',
        strict: false,
      });
    }
  }
  const fanout = results.parts.fanout?.data;
  if (fanout !== undefined) {
    targets.push({
      id: 'fanout.accepted',
      group: 'fanout.accepted',
      part: 'fanout',
      description: `${fanout.settings.items}-item inbound batch answered 202 in under 1 s (median of ${fanout.runs.length})`,
      measured: fanout.acceptedMsMedian / 1000,
      limit: 1,
      unit: 's',
      kind: 'max',
      strict: true,
    });
  }
  const calls = results.parts['aws-calls']?.data;
  if (calls !== undefined) {
    const trigger = calls.perHandler.find((r) => r.handler === 'flow-trigger' && r.dedupe !== 'none');
    if (trigger !== undefined) {
      targets.push(
        {
          id: 'aws-calls.flow-trigger.writes',
          group: 'aws-calls.flow-trigger.writes',
          part: 'aws-calls',
          description: 'a flow trigger (with Idempotency-Key) makes at most one DynamoDB write',
          measured: trigger.dynamodbWrites,
          limit: 1,
          unit: 'writes',
          kind: 'max',
        },
        {
          id: 'aws-calls.flow-trigger.starts',
          group: 'aws-calls.flow-trigger.starts',
          part: 'aws-calls',
          description: 'a flow trigger (with Idempotency-Key) makes at most one StartExecution',
          measured: trigger.calls['SFN.StartExecution'] ?? 0,
          limit: 1,
          unit: 'calls',
          kind: 'max',
        },
      );
    }
  }
  return targets;
}

/** Figures the analysis text may quote as {{derived.name}}, on top of {{<part>.<path>}} into results.json. */
function derivedFigures(results: Results): Record<string, number> {
  const d: Record<string, number> = {};
  const gateway = results.parts.gateway?.data;
  if (gateway !== undefined) {
    const { hookflow, ceiling } = gateway;
    d.stackCpuMsPerRequest = ((hookflow.cpuPercent.stack ?? 0) * hookflow.durationSeconds * 10) / hookflow.ok;
    d.dynaliteCpuMsPerRequest = ((hookflow.cpuPercent.dynalite ?? 0) * hookflow.durationSeconds * 10) / hookflow.ok;
    d.dynaliteCpuMsPerPut = ((ceiling.cpuPercent.dynalite ?? 0) * ceiling.durationSeconds * 10) / ceiling.ok;
    d.littleLawLatencyMs = (1000 * gateway.settings.connections) / hookflow.rps;
    d.rpsFor50msAt50 = (1000 * gateway.settings.connections) / 50;
    d.ratioPercent = gateway.ratio * 100;
  }
  const handlers = results.parts.handlers?.data;
  if (handlers !== undefined) {
    const profile = handlers.flowTriggerProfile;
    const share = (prefix: string) =>
      Object.entries(profile)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((s, [, v]) => s + v, 0);
    d.profileSdkPercent = share('AWS SDK');
    d.profileNodePercent = share('Node core');
    d.profileBundlePercent = share('handler bundle');
    d.profileSdkAndNodePercent = d.profileSdkPercent + d.profileNodePercent;
    const trigger = handlers.runs.find((r) => r.handler === 'flow-trigger' && r.size === '1KB' && r.dedupe !== 'none');
    const noKey = handlers.runs.find((r) => r.handler === 'flow-trigger' && r.dedupe === 'none');
    if (trigger !== undefined && noKey !== undefined) {
      d.flowTriggerCpuP50 = trigger.cpuMs.p50;
      d.flowTriggerNoKeyCpuP50 = noKey.cpuMs.p50;
      const callsOf = (r: ScenarioRun) => Object.values(r.awsCalls).reduce((a, b) => a + b, 0);
      d.flowTriggerCalls = callsOf(trigger);
      d.flowTriggerNoKeyCalls = callsOf(noKey);
      d.flowTriggerWallP50 = trigger.wallMs.p50;
      d.flowTriggerSystemPercent = 100 * (trigger.systemCpuShare ?? Number.NaN);
      d.bundleCpuMs = (trigger.cpuMs.p50 * (d.profileBundlePercent ?? 0)) / 100;
      d.cpuPerExtraCallMs = (trigger.cpuMs.p50 - noKey.cpuMs.p50) / (callsOf(trigger) - callsOf(noKey));
    }
    const oneKb = handlers.runs.filter((r) => r.size === '1KB' || r.size === null);
    const cpus = oneKb.map((r) => perRecord(r, r.cpuMs.p50));
    if (handlers.sdkCallCpuMs !== undefined) {
      d.sdkGetItemCpuP50 = handlers.sdkCallCpuMs.getItem.p50;
      d.sdkPutItemCpuP50 = handlers.sdkCallCpuMs.conditionalPutItem.p50;
    }
    d.minCpuP50 = Math.min(...cpus);
    d.maxCpuP50 = Math.max(...cpus);
  }
  const cold = results.parts.coldstart?.data;
  if (cold !== undefined) {
    const hs = cold.handlers;
    const byRatio = [...hs].sort((a, b) => a.load.cpuRatio - b.load.cpuRatio);
    d.minColdStartRatio = byRatio[0]!.load.cpuRatio;
    d.maxColdStartRatio = byRatio[byRatio.length - 1]!.load.cpuRatio;
    const before = hs.map((h) => h.before.load.cpuRatio).sort((a, b) => a - b);
    d.medianBeforeRatio = before[Math.floor(before.length / 2)]!;
    d.minBundleKB = Math.min(...hs.map((h) => h.bytes)) / KB;
    d.maxBundleKB = Math.max(...hs.map((h) => h.bytes)) / KB;
    const profile = byRatio[byRatio.length - 1]!.loadProfileMs;
    const total = Object.entries(profile)
      .filter(([k]) => !k.startsWith('Node itself'))
      .reduce((sum, [, v]) => sum + v, 0);
    d.loadProfileCompilePercent = (100 * (profile['reading and compiling the bundle file'] ?? 0)) / total;
    d.loadProfileZodPercent = (100 * (profile['bundled: zod'] ?? 0)) / total;
  }
  const fanout = results.parts.fanout?.data;
  if (fanout !== undefined) {
    const run = fanout.runs[0]!;
    d.sendMessageBatchCalls = run.calls['SQS.SendMessageBatch']?.calls ?? 0;
    d.fanoutItemsPerSecond = (1000 * run.items) / fanout.allStartedMsMedian;
  }
  return d;
}

function resolvePlaceholder(results: Results, derived: Record<string, number>, path: string): string {
  const [head, ...rest] = path.split('.');
  let value: unknown =
    head === 'derived' ? derived : (results.parts as Record<string, PartRecord<unknown> | undefined>)[head!]?.data;
  for (const key of rest) value = (value as Record<string, unknown> | undefined)?.[key];
  if (typeof value === 'number') {
    if (/percent/i.test(path)) return num(value, value < 10 ? 1 : 0);
    return num(value, value < 10 ? 2 : value < 100 ? 1 : 0);
  }
  if (typeof value === 'string') return value;
  return '(n/a)';
}

function analysisSections(results: Results): Map<string, string> {
  const derived = derivedFigures(results);
  const text = readFileSync(analysisFile, 'utf8');
  const sections = new Map<string, string>();
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    const id = part.slice(0, newline).trim();
    const body = part
      .slice(newline + 1)
      .replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_, path: string) => resolvePlaceholder(results, derived, path))
      .trim();
    sections.set(id, body);
  }
  return sections;
}

function machineLine(m: Machine): string {
  return (
    `${m.cpuCount} × ${m.cpuModel}, ${num(m.memoryGiB)} GiB RAM, ${m.os}, Node ${m.node}, load average ${m.loadAverage1m} at start; ` +
    `${m.date.replace('T', ' ').slice(0, 16)} UTC; commit ${m.gitCommit}${m.gitDirty ? ' with uncommitted changes' : ''}`
  );
}

function provenance(record: PartRecord<unknown> | undefined, part: PartName): string {
  if (record === undefined) return `_Not measured yet: run \`npx tsx bench/run.ts ${part}\`._`;
  const lines = [
    `Command: \`${record.command}\` (this part alone: \`npx tsx bench/run.ts ${part}\`). Took ${num(record.seconds, 0)} s.`,
    '',
    `Machine: ${machineLine(record.machine)}.`,
  ];
  if (record.error !== undefined) lines.push('', `**This part failed:** \`${record.error.split('\n')[0]}\``);
  return lines.join('\n');
}

function tableOf(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const callsText = (calls: Record<string, number>) =>
  Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} ${num(n, 2)}`)
    .join(', ') || 'none';

function costSection(t: CostTable): string {
  return [
    `**${t.title}**`,
    '',
    tableOf(
      ['item', 'usage per unit of work', '$ per million'],
      [
        ...t.lines.map((l) => [l.item, l.usage, usd(l.perMillion)]),
        ['**total**', '', `**${usd(t.total)}**`],
        ['floor: only the Step Functions start', '', usd(t.floor)],
        ['total / floor', '', `${num(t.overheadRatio, 2)}×`],
      ],
    ),
  ].join('\n');
}

export function render(results: Results): string {
  const targets = evaluateTargets(results);
  const analysis = analysisSections(results);
  const { gateway, handlers, coldstart, fanout } = results.parts;
  const awsCalls = results.parts['aws-calls'];
  const cost = results.parts.cost;
  const out: string[] = [];
  const push = (...blocks: string[]) => {
    for (const block of blocks) out.push(block, '');
  };

  push(
    '# Benchmarks',
    '<!-- Generated by bench/run.ts from bench/results.json and bench/analysis.md: edit those, then run `npx tsx bench/run.ts render`. -->',
    'What hookflow costs per webhook, in time, CPU, bytes, AWS calls and dollars: the benchmark suite of issue 7. ' +
      'These are benchmarks, not tests: nothing here runs in CI, and no figure fails a build. ' +
      '`npm run bench` (`npx tsx bench/run.ts`) runs every part (3-4 minutes on a 2-core machine), writes the raw figures to ' +
      '`bench/results.json` and regenerates this page; `npx tsx bench/run.ts <part>…` runs some parts ' +
      "(`coldstart`, `gateway`, `fanout`, `handlers`, `aws-calls`, `cost`) and keeps the others' last figures; `render` only regenerates this page.",
    'Local figures come from the local stack (`npm start`: dynalite, fauxqs and the local Step Functions endpoint on loopback), ' +
      'not from AWS: they compare hookflow with itself and with its local ceiling. Where a figure is a proxy or an estimate, its section says so. ' +
      'The machine is shared and noisy: expect run-to-run differences of 10-30%.',
  );

  push('## Targets');
  push(
    tableOf(
      ['target', 'measured', 'limit', 'measured / limit', 'result'],
      targets.map((t) => [
        t.description,
        `${num(t.measured, 2)} ${t.unit}`,
        `${t.kind === 'min' ? '≥' : t.strict === true ? '<' : '≤'} ${num(t.limit, 2)} ${t.unit}`,
        num(ratioOf(t), 2),
        passes(t) ? 'pass' : '**miss**',
      ]),
    ),
    `${targets.filter(passes).length} of ${targets.length} targets pass. "measured / limit" above 1 is over a maximum; under 1 is short of a minimum. Each miss is explained under [Why targets miss](#why-targets-miss-and-what-would-fix-them).`,
  );

  // 1. Gateway
  push('## 1. Gateway throughput and latency (local stack)', provenance(gateway, 'gateway'));
  if (gateway?.data !== undefined) {
    const g = gateway.data;
    const row = (r: typeof g.hookflow) => [
      r.target,
      num(r.rps, 0),
      ms(r.latencyMs.p50, 0),
      ms(r.latencyMs.p90, 0),
      ms(r.latencyMs.p99, 0),
      `${r.ok} / ${r.non2xx} / ${r.errors}`,
      Object.entries(r.cpuPercent)
        .map(([p, v]) => `${p} ${num(v, 0)}%`)
        .join(', '),
    ];
    push(
      `autocannon ${gateway.machine.versions.autocannon ?? ''} in the bench process, ${g.settings.connections} connections, ${g.settings.warmupSeconds} s warm-up then ${g.settings.measureSeconds} s measured (at most ${g.settings.maxRequests.toLocaleString('en-US')} requests), against the stack started as \`npm start\` does (its own processes). ` +
        'hookflow: `POST /flows/hello/trigger` with `Authorization: Bearer hf_local_dev_key`, a 17-byte JSON body and a unique `Idempotency-Key` per request (dedupe on). ' +
        "Ceiling: the dedupe claim's own conditional PutItem (same item, same condition) sent straight to the stack's dynalite, one client (autocannon) at the same concurrency. " +
        "CPU is each process's user + system time over the measured run (100% = one core).",
      tableOf(
        ['target', 'req/s', 'p50', 'p90', 'p99', '2xx / non-2xx / errors', 'CPU during the run'],
        [
          row(g.ceiling),
          row(g.hookflow),
          ...(g.hookflowOneConnection === undefined ? [] : [row(g.hookflowOneConnection)]),
        ],
      ),
      `hookflow reached **${num(g.ratio * 100, 1)}%** of the ceiling. AWS calls the stack made per answered flow trigger during the run (approximate at the run's edges): ${callsText(g.awsCallsPerRequest)}.`,
    );
  }

  // 2. Handler CPU
  push('## 2. Per-request CPU of each handler, in process', provenance(handlers, 'handlers'));
  if (handlers?.data !== undefined) {
    const h = handlers.data;
    push(
      "Each handler's deployed bundle (built as `cdk synth` builds it) is required and invoked in the bench process with payload-2.0 events, one request at a time; " +
        "its AWS SDK calls go to the local stack's dynalite, fauxqs and Step Functions endpoint over loopback (no TLS). " +
        `CPU is \`process.cpuUsage()\` (user + system) around each awaited invocation, so it includes the SDK's serializing, signing, HTTP and parsing and any GC, and excludes the services' own work. ` +
        `${h.settings.warmup} warm-up invocations, then ${h.settings.iterations['1KB']} measured (1 KB and no body) or ${h.settings.iterations['100KB']} (100 KB). ` +
        'Bodies are JSON objects padded to exactly 1,024 or 102,400 bytes. The fan-out worker gets SQS events of 10 records: its figures are per invocation, and per record in the targets. ' +
        'Wall time is against local services and is not what Lambda would take.',
      tableOf(
        [
          'handler',
          'request',
          'dedupe',
          'body',
          'CPU p50',
          'CPU p99',
          'system share',
          'wall p50',
          'AWS calls per invocation',
        ],
        h.runs.map((r) => [
          r.handler,
          r.what,
          r.dedupe,
          r.size ?? '—',
          ms(r.cpuMs.p50, 2),
          ms(r.cpuMs.p99, 2),
          r.systemCpuShare === undefined ? 'n/a' : `${num(r.systemCpuShare * 100, 0)}%`,
          ms(r.wallMs.p50, 1),
          callsText(r.awsCalls) + (r.failures > 0 ? ` (**${r.failures} unexpected answers**)` : ''),
        ]),
      ),
      h.sdkCallCpuMs === undefined
        ? ''
        : `Calibration, the CPU of one bare SDK call from the same process to the same dynalite (a \`DynamoDBClient\` configured as functions/adapters/aws/clients.ts does, no handler): GetItem p50 **${ms(h.sdkCallCpuMs.getItem.p50, 2)}** (p99 ${ms(h.sdkCallCpuMs.getItem.p99, 2)}), conditional PutItem p50 **${ms(h.sdkCallCpuMs.conditionalPutItem.p50, 2)}** (p99 ${ms(h.sdkCallCpuMs.conditionalPutItem.p99, 2)}).`,
      `Where the flow trigger's CPU goes (1 KB, Idempotency-Key; ${h.settings.profiledIterations} requests under the V8 CPU profiler at 100 µs; share of the busy CPU):`,
      tableOf(
        ['where', 'share'],
        Object.entries(h.flowTriggerProfile).map(([k, v]) => [k, `${num(v, 1)}%`]),
      ),
    );
  }

  // 3. Cold start
  push('## 3. Cold start: load time as a ratio of an empty Node process', provenance(coldstart, 'coldstart'));
  if (coldstart?.data !== undefined) {
    const c = coldstart.data;
    push(
      'Each handler bundled with esbuild exactly as the construct bundles it at `cdk synth` (the options of lib/handler-bundling.ts, which lib/hookflow-function.ts, the package build and this bench share: `--bundle --platform=node --target=node22 --format=cjs --minify --sourcemap --sources-content=false --main-fields=module,main`, the AWS SDK bundled in, no `--enable-source-maps`), with a metafile. ' +
        `Measured: pairs of fresh \`node\` (${coldstart.machine.node}) processes, A then B, ${c.settings.pairs} times per handler: A requires the bundle (with the environment the handler reads at cold start) and checks it exports a handler; B is an empty Node process with the same environment. ` +
        "Wall time is from spawn to exit, seen by the bench; CPU is the child's own (user + system) at exit. " +
        `Computed: the ratios of the medians, handler over empty; the target (at most ${c.settings.maxRatio}x) is on CPU, which other load on a shared machine barely moves (wall time there varies by 2x from one run to the next) and which is what a Lambda function's init takes at fractional vCPU (256 MB: about a seventh of one), where wall time follows CPU. ` +
        "'Before' is issue 18's starting point measured the same way in the same run (" +
        `${c.settings.beforePairs} pairs): the AWS SDK left to the runtime's copy (resolved from node_modules, as the runtime resolves /var/runtime's), no \`module\` field first, \`NODE_OPTIONS=--enable-source-maps\`. ` +
        "A proxy for Lambda's init phase: it leaves out the runtime's own start and the code download, and this machine is not a Graviton. Bytes are information, not a target: they do not predict load time. KB = 1,024 bytes.",
      tableOf(
        [
          'handler',
          'ratio (wall)',
          'ratio (CPU)',
          'handler / empty (median ms)',
          'before: ratio (CPU)',
          'bundle',
          'largest parts of the bundle',
        ],
        c.handlers.map((h) => [
          h.name,
          `${num(h.load.ratio, 2)}x`,
          `**${num(h.load.cpuRatio, 2)}x**`,
          `${ms(h.load.handlerMs, 0)} / ${ms(h.load.emptyMs, 0)}`,
          `${num(h.before.load.cpuRatio, 2)}x`,
          `${kb(h.bytes)} (before ${kb(h.before.bytes)})`,
          h.origins
            .slice(0, 3)
            .map((o) => `${o.origin} ${kb(o.bytes)}`)
            .join(', '),
        ]),
      ),
      ...(c.sdkClients === undefined
        ? []
        : [
            `The floor while a handler loads the AWS SDK at init, measured the same way: a bundle of only the DynamoDB, Step Functions and SQS clients, constructed (${kb(c.sdkClients.bytes)}): **${num(c.sdkClients.load.cpuRatio, 2)}x** the CPU of an empty Node process (wall ${num(c.sdkClients.load.ratio, 2)}x). What a handler adds to it is hookflow, zod, Powertools and middy.`,
          ]),
      'Where the load time goes (one load per handler under the V8 CPU profiler at 100 µs, which slows it: read the shares; "bundled: …" is code esbuild inlined, attributed through the source map; "required modules" is the loading of what the bundle requires rather than inlines: Node\'s own modules, which the AWS SDK needs to send requests (`https`, `tls`, `crypto` …), and in the \'before\' bundles the SDK itself):',
    );
    const categories = [
      ...new Set(c.handlers.flatMap((h) => Object.keys(h.loadProfileMs).filter((k) => !k.startsWith('Node itself')))),
    ];
    const totals = new Map(categories.map((k) => [k, c.handlers.reduce((s, h) => s + (h.loadProfileMs[k] ?? 0), 0)]));
    const top = [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 7)
      .map(([k]) => k);
    push(
      tableOf(
        ['handler', ...top, 'other'],
        c.handlers.map((h) => {
          const total = Object.entries(h.loadProfileMs)
            .filter(([k]) => !k.startsWith('Node itself'))
            .reduce((s, [, v]) => s + v, 0);
          const shown = top.map((k) => h.loadProfileMs[k] ?? 0);
          return [
            h.name,
            ...shown.map((v) => `${num((100 * v) / total, 0)}%`),
            `${num((100 * (total - shown.reduce((a, b) => a + b, 0))) / total, 0)}%`,
          ];
        }),
      ),
    );
  }

  // 4. Fan-out
  push('## 4. Batch fan-out (local stack)', provenance(fanout, 'fanout'));
  if (fanout?.data !== undefined) {
    const f = fanout.data;
    push(
      `\`POST /inbound\` with \`Inbound-Webhook-Secret: hf_local_inbound_secret\` and \`{"workflow":"workflow name","batch":[{"uid":"…"}, …]}\` (${f.settings.items} items, unique uids) through the local gateway, after a 1-item warm-up batch. ` +
        "\"All started\" is when the last of the items' StartExecution calls was answered, from the stack's own count of its SDK calls (bench/support/aws-call-counter.cjs, preloaded into the stack's process with `NODE_OPTIONS=--require`); " +
        'every run was then checked: the local Step Functions endpoint lists the new executions, and a sample of run references answers `STARTED`. ' +
        "SQS calls: `SendMessageBatch` is the inbound handler; `ReceiveMessage` and `DeleteMessageBatch` are the local stand-in for Lambda's event source mapping (AWS bills those too). " +
        'In AWS the event source also waits up to its 1 s batching window, which the local stack does not.',
      tableOf(
        [
          'run',
          'request',
          'POST → 202',
          'POST → all started',
          'executions listed',
          'run refs sampled STARTED',
          'calls made for the batch',
        ],
        f.runs.map((r, i) => [
          String(i + 1),
          `${r.items} items, ${kb(r.requestBytes)}`,
          ms(r.acceptedMs, 0),
          ms(r.allStartedMs, 0),
          String(r.executionsListed),
          r.sampledRunRefsStarted,
          Object.entries(r.calls)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([op, v]) => `${op} ${v.calls}${v.entries !== v.calls ? ` (${v.entries} entries)` : ''}`)
            .join(', '),
        ]),
      ),
      `Median: 202 after **${ms(f.acceptedMsMedian, 0)}**, all ${f.settings.items} started after **${ms(f.allStartedMsMedian, 0)}**.`,
    );
  }

  // 5. AWS calls
  push('## 5. AWS calls per webhook', provenance(awsCalls, 'aws-calls'));
  if (awsCalls?.data !== undefined) {
    const a = awsCalls.data;
    push(
      "Counted by wrapping `send` on the SDK's DynamoDB, Step Functions and SQS client classes (bench/support/aws-call-counter.cjs): each handler's deployed bundle runs in the bench process against the local stack's services, and every call it makes is counted, per invocation (1 KB bodies; the same calls at 100 KB). " +
        '"constant" says whether every invocation made exactly the same calls.',
      tableOf(
        [
          'handler',
          'request',
          'dedupe',
          'calls per invocation',
          'DynamoDB reads / writes',
          'starts',
          'SQS',
          'constant',
        ],
        a.perHandler.map((r) => [
          r.handler,
          r.what,
          r.dedupe,
          callsText(r.calls),
          `${num(r.dynamodbReads, 2)} / ${num(r.dynamodbWrites, 2)}`,
          num(r.stepFunctions, 2),
          num(r.sqs, 2),
          r.constant ? 'yes' : 'no',
        ]),
      ),
      `Cross-check through the gateway (${a.gatewayCrossCheck.requests} sequential flow triggers, counted inside the stack's process): with an Idempotency-Key ${callsText(a.gatewayCrossCheck.withIdempotencyKey)} per request; without one ${callsText(a.gatewayCrossCheck.withoutIdempotencyKey)} (DynamoDB writes: ${num(dynamoWrites(a.gatewayCrossCheck.withIdempotencyKey), 2)} and ${num(dynamoWrites(a.gatewayCrossCheck.withoutIdempotencyKey), 2)}).`,
    );
  }

  // 6. Cost
  push('## 6. Cost per million', provenance(cost, 'cost'));
  if (cost?.data !== undefined) {
    const c = cost.data;
    const p = c.prices;
    push(
      `Computed from parts 2, 4 and 5 (no new measurement) with public list prices, ${p.region}, as of ${p.asOf}: ` +
        `API Gateway HTTP API $${p.apiGatewayHttpPerMillionRequests.toFixed(2)} per million requests; Lambda arm64 $${p.lambdaArmPerGbSecond} per GB-second and $${p.lambdaPerMillionRequests.toFixed(2)} per million requests; ` +
        `DynamoDB on-demand $${p.dynamodbPerMillionWriteUnits} per million write request units and $${p.dynamodbPerMillionReadUnits} per million read request units; SQS standard $${p.sqsStandardPerMillionRequests.toFixed(2)} per million requests; ` +
        `Step Functions Express $${p.stepFunctionsExpressPerMillionRequests.toFixed(2)} per million requests plus $${p.stepFunctionsExpressPerGbSecond} per GB-second (billed per 100 ms, 64 MB minimum); Standard $${p.stepFunctionsStandardPerMillionTransitions} per million state transitions. ` +
        `Lambda memory: ${c.lambdaMemoryMb} MB (lib/hookflow-function.ts). The example flows and inbound workflows are Express, so the floor is one Express start.`,
      costSection(c.singleWebhook),
      costSection(c.batchedItem),
      `Lambda sensitivity: each extra 10 ms of billed duration at ${c.lambdaMemoryMb} MB adds ${usd(c.per10msPerMillion)} per million invocations. ` +
        `If the flow trigger's measured CPU ran at ${c.lambdaMemoryMb} MB's share of a vCPU, its duration would be about ${ms(c.cpuShareDurationMs, 0)} (an estimate), and the single-webhook total ${usd(c.cpuShareTotal)} per million.`,
      'Assumptions:',
      c.assumptions.map((a) => `- ${a}`).join('\n'),
    );
  }

  // Why
  push('## Why targets miss, and what would fix them');
  const missedGroups = [...new Set(targets.filter((t) => !passes(t)).map((t) => t.group))];
  if (missedGroups.length === 0) push('Every target passes.');
  for (const group of missedGroups) {
    const missed = targets.filter((t) => t.group === group && !passes(t));
    push(
      `### ${group} (${missed.length} miss${missed.length === 1 ? '' : 'es'})`,
      analysis.get(group) ?? `_No analysis yet: add a \`## ${group}\` section to bench/analysis.md._`,
    );
  }
  push(
    '## How the suite works',
    [
      '- `bench/run.ts`: the entry point; runs the parts, writes `bench/results.json`, renders this page (`bench/render.ts`).',
      '- `bench/parts/`: one file per part; `bench/lib/`: bundling as `cdk synth` does, the local stack (test/support/local-stack.ts) with the call counter preloaded, the in-process handler harness, profiles, statistics.',
      '- `bench/support/aws-call-counter.cjs`: counts AWS SDK v3 commands by wrapping `send` on the client classes, in the bench process and (preloaded with `NODE_OPTIONS=--require`) in the local stack.',
      '- `bench/analysis.md`: the reasoning behind each missed target, with `{{…}}` placeholders filled from the results.',
      '- Nothing in `functions/`, `lib/` or `local/` is changed to measure it: what-ifs (the zod import) rewrite sources in memory while bundling.',
    ].join('\n'),
  );
  return out.join('\n');
}
