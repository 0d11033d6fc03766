import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioRun } from './lib/in-process';
import type { Machine } from './lib/machine';
import type { PartName, PartRecord, Results } from './lib/results';
import type { CostTable, RecordingCost } from './parts/cost';
import type { WrittenItem } from './parts/deliveries';

export const docsFile = join(__dirname, '..', 'docs', 'BENCHMARKS.md');
const analysisFile = join(__dirname, 'analysis.md');

/**
 * A target of issue 18: always a ratio measured side by side in one run (hookflow against a like-for-like
 * baseline, paired A, B, A, B …, medians), never a single absolute time.
 */
export interface Target {
  readonly id: string;
  /** The bench/analysis.md section that explains a miss. */
  readonly group: string;
  readonly part: PartName;
  readonly description: string;
  /** The two medians the ratio is made of, as a reader should see them ("7.6 ms vs 6.8 ms"). */
  readonly sides: string;
  /** hookflow / baseline. */
  readonly ratio: number;
  readonly limit: number;
  /** `max`: the ratio must stay at or under the limit; `min`: at or above it. */
  readonly kind: 'max' | 'min';
}

export const passes = (t: Target) => (t.kind === 'min' ? t.ratio >= t.limit : t.ratio <= t.limit);

const KB = 1024;
const num = (value: number, digits = 1) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';
const ms = (value: number, digits = 1) => `${num(value, digits)} ms`;
const kb = (bytes: number) => `${num(bytes / KB, 0)} KB`;
const usd = (value: number): string =>
  value < 0 ? `−${usd(-value)}` : `$${value < 0.01 ? value.toFixed(5) : value.toFixed(3)}`;
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');

function dynamoWrites(calls: Record<string, number>): number {
  return ['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem', 'DynamoDB.BatchWriteItem']
    .map((op) => calls[op] ?? 0)
    .reduce((a, b) => a + b, 0);
}

const perRecord = (run: ScenarioRun, value: number) => value / run.recordsPerInvocation;

/**
 * Issue 18's targets 3, 4 and 5 (and the counts of target 2 as calls against their floor). Target 1 (cold start,
 * a ratio to an empty Node process) belongs to the cold-start part. No absolute times: they depend on the
 * machine, and several were impossible by construction.
 */
export function evaluateTargets(results: Results): Target[] {
  const targets: Target[] = [];
  const handlers = results.parts.handlers?.data;
  if (handlers !== undefined) {
    for (const run of handlers.runs.filter((r) => r.size === '1KB' || r.size === null)) {
      if (run.cpuRatio === undefined) continue;
      const perItem = run.recordsPerInvocation > 1 ? ` (batches of ${run.recordsPerInvocation})` : '';
      targets.push({
        id: `handlers.cpu.${run.handler}${run.dedupe === 'none' ? '.no-key' : ''}`,
        group: 'handlers.cpu',
        part: 'handlers',
        description: `${run.handler}${run.dedupe === 'none' ? ' (no Idempotency-Key)' : ''}${perItem}: CPU per request ≤ 1.3× the same AWS calls sent bare`,
        sides: `${ms(run.cpuMedianMs ?? run.cpuMs.p50, 2)} vs ${ms(run.bareCpuMedianMs ?? run.bareCpuMs.p50, 2)}`,
        ratio: run.cpuRatio,
        limit: 1.3,
        kind: 'max',
      });
    }
  }
  const gateway = results.parts.gateway?.data;
  if (gateway?.rps !== undefined) {
    targets.push(
      {
        id: 'gateway.throughput',
        group: 'gateway.throughput',
        part: 'gateway',
        description: `keyed flow trigger (no delivery recording) req/s at ${gateway.settings.connections} connections ≥ 0.5× the ceiling (Node server + one SDK PutItem + one StartExecution)`,
        sides: `${num(gateway.rps.medianA, 0)} vs ${num(gateway.rps.medianB, 0)} req/s`,
        ratio: gateway.rps.ratio,
        limit: 0.5,
        kind: 'min',
      },
      {
        id: 'gateway.p99',
        group: 'gateway.p99',
        part: 'gateway',
        description: `keyed flow trigger (no delivery recording) p99 at ${gateway.settings.connections} connections ≤ 3× the ceiling's p99`,
        sides: `${ms(gateway.p99.medianA, 0)} vs ${ms(gateway.p99.medianB, 0)}`,
        ratio: gateway.p99.ratio,
        limit: 3,
        kind: 'max',
      },
    );
  }
  const cost = results.parts.cost?.data;
  if (cost?.unkeyed !== undefined) {
    for (const [id, t] of [
      ['unkeyed', cost.unkeyed],
      ['keyed', cost.keyed],
    ] as const) {
      targets.push({
        id: `cost.${id}`,
        group: 'cost',
        part: 'cost',
        description: `${id} flow trigger: $ per million ≤ ${t.target}× the floor (API Gateway + one StartExecution, no Lambda)`,
        sides: `${usd(t.total)} vs ${usd(t.floor)}`,
        ratio: t.ratio,
        limit: t.target ?? Number.NaN,
        kind: 'max',
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
        description: `${h.name}: load CPU in a fresh Node process ≤ ${cold.settings.maxRatio}× an empty Node process (medians of ${h.load.pairs} pairs)`,
        sides: `${ms(h.load.handlerCpuMs)} vs ${ms(h.load.emptyCpuMs)}`,
        ratio: h.load.cpuRatio,
        limit: cold.settings.maxRatio,
        kind: 'max',
      });
    }
  }
  const calls = results.parts['aws-calls']?.data;
  if (calls !== undefined) {
    // The floor of the issue, one write (the claim) and one start. Standard: the claim names its run. Express: the
    // run guard names it (docs/aws-calls.md, "Express runs and the run guard"), with delivery records (hello: the
    // claim carries the record, which names the guard's item as its run) and without (the cost target's terms).
    const keyed = [
      {
        type: 'Express',
        flow: 'hello',
        writeFloor: 1,
        counts: calls.gatewayCrossCheck.withIdempotencyKey,
      },
      {
        type: 'Standard',
        flow: 'hello-standard',
        writeFloor: 1,
        counts: calls.gatewayCrossCheck.standardWithIdempotencyKey,
      },
      {
        type: 'Express',
        flow: 'hello-unrecorded',
        writeFloor: 1,
        counts: calls.gatewayCrossCheck.expressUnrecordedWithIdempotencyKey,
      },
    ];
    for (const { type, flow, writeFloor, counts } of keyed) {
      const slug = `${type.toLowerCase()}${flow === 'hello' ? '-recorded' : ''}`;
      if (counts === undefined) continue;
      // Through the gateway, an Express workflow's run guard writes one PutItem of its own (Step Functions'
      // call, not the handler's): counted apart.
      const writes =
        (counts['DynamoDB.PutItem'] ?? 0) + (counts['DynamoDB.UpdateItem'] ?? 0) - (type === 'Express' ? 1 : 0);
      const starts = counts['SFN.StartExecution'] ?? 0;
      targets.push(
        {
          id: `aws-calls.flow-trigger.${slug}.writes`,
          group: 'aws-calls.flow-trigger.writes',
          part: 'aws-calls',
          description: `keyed flow trigger, ${type} (${flow}): the handler's DynamoDB writes per request against the floor of ${writeFloor}`,
          sides: `${num(writes, 2)} vs ${writeFloor}`,
          ratio: writes / writeFloor,
          limit: 1,
          kind: 'max',
        },
        {
          id: `aws-calls.flow-trigger.${slug}.starts`,
          group: 'aws-calls.flow-trigger.starts',
          part: 'aws-calls',
          description: `keyed flow trigger, ${type} (${flow}): StartExecution calls per request against the floor of one`,
          sides: `${num(starts, 2)} vs 1`,
          ratio: starts,
          limit: 1,
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
  if (gateway?.rounds !== undefined) {
    // Summed over the measured rounds: CPU ms per answered request of each process.
    const perRequest = (side: 'hookflow' | 'recorded' | 'ceiling', process: string) => {
      const rounds = gateway.rounds.map((r) => r[side]);
      const cpuMs = rounds.reduce((t, r) => t + (r.cpuPercent[process] ?? 0) * r.durationSeconds * 10, 0);
      return cpuMs / rounds.reduce((t, r) => t + r.ok, 0);
    };
    d.stackCpuMsPerRequest = perRequest('hookflow', 'stack');
    d.dynaliteCpuMsPerRequest = perRequest('hookflow', 'dynalite');
    d.loadGeneratorCpuMsPerRequest = perRequest('hookflow', 'load generator (bench)');
    d.recordedStackCpuMsPerRequest = perRequest('recorded', 'stack');
    d.recordedDynaliteCpuMsPerRequest = perRequest('recorded', 'dynalite');
    d.recordedRpsRatioPercent = gateway.recordedRps.ratio * 100;
    d.recordedVsUnrecordedRpsPercent = gateway.recordedVsUnrecordedRps.ratio * 100;
    d.ceilingCpuMsPerRequest = perRequest('ceiling', 'ceiling');
    d.dynaliteCpuMsPerPut = perRequest('ceiling', 'dynalite');
    d.stackCpuMsPerCeilingRequest = perRequest('ceiling', 'stack');
    // The local Step Functions endpoint's process (bench/lib/stack.ts): the same workflow on both sides.
    d.stepFunctionsCpuMsPerRequest = perRequest('hookflow', 'stepfunctions');
    d.stepFunctionsCpuMsPerCeilingRequest = perRequest('ceiling', 'stepfunctions');
    d.littleLawLatencyMs = (1000 * gateway.settings.connections) / gateway.rps.medianA;
    d.rpsRatioPercent = gateway.rps.ratio * 100;
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
      d.flowTriggerCpuP50 = trigger.cpuMedianMs;
      d.flowTriggerBareCpuP50 = trigger.bareCpuMedianMs;
      d.flowTriggerCpuRatio = trigger.cpuRatio;
      d.flowTriggerOwnSharePercent = 100 * (1 - trigger.bareCpuMedianMs / trigger.cpuMedianMs);
      d.flowTriggerNoKeyCpuP50 = noKey.cpuMs.p50;
      const callsOf = (r: ScenarioRun) => Object.values(r.awsCalls).reduce((a, b) => a + b, 0);
      d.flowTriggerCalls = callsOf(trigger);
      d.flowTriggerNoKeyCalls = callsOf(noKey);
      d.flowTriggerWallP50 = trigger.wallMs.p50;
      d.flowTriggerSystemPercent = 100 * (trigger.systemCpuShare ?? Number.NaN);
      d.bareCpuPerCallMs = trigger.bareCpuMedianMs / callsOf(trigger);
    }
    // hookflow's own CPU, measured (the SDK answered from cache), as a share of the handler's CPU.
    const ownShares = (size: (r: ScenarioRun) => boolean) =>
      handlers.runs
        .filter((r) => size(r) && r.ownCpuMs !== undefined && r.ownCpuMs.failures === 0)
        .map((r) => (100 * r.ownCpuMs!.median) / r.cpuMedianMs);
    const smallOwn = ownShares((r) => r.size !== '100KB');
    const largeOwn = ownShares((r) => r.size === '100KB');
    if (smallOwn.length > 0) {
      d.ownCpuSmallMinPercent = Math.min(...smallOwn);
      d.ownCpuSmallMaxPercent = Math.max(...smallOwn);
    }
    if (largeOwn.length > 0) {
      d.ownCpuLargeMinPercent = Math.min(...largeOwn);
      d.ownCpuLargeMaxPercent = Math.max(...largeOwn);
    }
    if (trigger?.ownCpuMs !== undefined) d.flowTriggerOwnCpuMs = trigger.ownCpuMs.median;
    // The same with each answer after a wait, as in a real request (bench/lib/replay.ts, withCachedAnswers).
    const waitingShares = handlers.runs
      .filter((r) => r.size !== '100KB' && r.ownCpuMs?.waitingMedian !== undefined && r.ownCpuMs.failures === 0)
      .map((r) => (100 * r.ownCpuMs!.waitingMedian!) / r.cpuMedianMs);
    if (waitingShares.length > 0) {
      d.ownCpuWaitingSmallMinPercent = Math.min(...waitingShares);
      d.ownCpuWaitingSmallMaxPercent = Math.max(...waitingShares);
    }
    if (trigger?.ownCpuMs?.waitingMedian !== undefined) d.flowTriggerOwnWaitingCpuMs = trigger.ownCpuMs.waitingMedian;
    // The SDK calls' own CPU inside the handler over the same calls replayed (bench/lib/replay.ts, withSdkCpu).
    const sdkRatios = handlers.runs
      .filter(
        // The fan-out worker's concurrent calls are each counted whole: not a comparison.
        (r) =>
          r.sdkCpuMs !== undefined &&
          r.sdkCpuMs.bare > 0 &&
          r.recordsPerInvocation === 1 &&
          !(r.replayMismatchesPerInvocation > 0),
      )
      .map((r) => r.sdkCpuMs!.handler / r.sdkCpuMs!.bare);
    if (sdkRatios.length > 0) {
      d.sdkInHandlerMinRatio = Math.min(...sdkRatios);
      d.sdkInHandlerMaxRatio = Math.max(...sdkRatios);
    }
    const oneKb = handlers.runs.filter((r) => (r.size === '1KB' || r.size === null) && r.cpuRatio !== undefined);
    const ratios = oneKb.map((r) => r.cpuRatio);
    d.minCpuRatio = Math.min(...ratios);
    d.maxCpuRatio = Math.max(...ratios);
    const cpus = oneKb.map((r) => perRecord(r, r.cpuMs.p50));
    d.minCpuP50 = Math.min(...cpus);
    d.maxCpuP50 = Math.max(...cpus);
  }
  const cost = results.parts.cost?.data;
  if (cost?.unkeyed !== undefined) {
    for (const [name, t] of [
      ['Unkeyed', cost.unkeyed],
      ['Keyed', cost.keyed],
    ] as const) {
      const line = (prefix: string) =>
        t.lines.filter((l) => l.item.startsWith(prefix)).reduce((total, l) => total + l.perMillion, 0);
      d[`cost${name}Overhead`] = t.total - t.floor;
      d[`cost${name}Budget`] = t.floor * ((t.target ?? 1) - 1);
      d[`cost${name}Lambda`] = line('Lambda');
      d[`cost${name}LambdaRequests`] = line('Lambda requests');
      d[`cost${name}Logs`] = line('CloudWatch Logs');
      d[`cost${name}Reads`] = line('DynamoDB reads');
      d[`cost${name}Writes`] = line('DynamoDB writes');
    }
    const keyedRecording = cost.recording?.find((r) => r.name === 'keyed');
    if (keyedRecording !== undefined) d.costKeyedRecordingAdded = keyedRecording.total;
    d.costLogBytesBudgetUnkeyed =
      (1e9 * Math.max(0, d.costUnkeyedBudget! - d.costUnkeyedLambda!)) / 1e6 / cost.prices.cloudwatchLogsPerGbIngested;
  }
  const cold = results.parts.coldstart?.data;
  if (cold !== undefined) {
    const hs = cold.handlers;
    const byRatio = [...hs].sort((a, b) => a.load.cpuRatio - b.load.cpuRatio);
    d.minColdStartRatio = byRatio[0]!.load.cpuRatio;
    d.maxColdStartRatio = byRatio[byRatio.length - 1]!.load.cpuRatio;
    const before = hs.map((h) => h.before.load.cpuRatio).sort((a, b) => a - b);
    d.medianBeforeRatio = before[Math.floor(before.length / 2)]!;
    const after = hs.map((h) => h.load.cpuRatio).sort((a, b) => a - b);
    d.medianColdStartRatio = after[Math.floor(after.length / 2)]!;
    if (cold.sdkClients !== undefined) {
      const above = hs
        .filter((h) => h.name !== 'console')
        .map((h) => h.load.cpuRatio - cold.sdkClients!.load.cpuRatio)
        .sort((a, b) => a - b);
      d.minAboveSdkRatio = above[0]!;
      d.maxAboveSdkRatio = above[above.length - 1]!;
    }
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
  const lines = [
    `**${t.title}**`,
    '',
    tableOf(
      ['item', 'usage per unit of work (measured / computed)', '$ per million'],
      [
        ...t.lines.map((l) => [l.item, l.usage, usd(l.perMillion)]),
        ['**total**', '', `**${usd(t.total)}**`],
        ...t.floorLines.map((l) => [`floor: ${l.item}`, l.usage, usd(l.perMillion)]),
        ['**floor** (API Gateway straight to Step Functions, no Lambda)', '', `**${usd(t.floor)}**`],
        ['**total / floor**', t.target === undefined ? '' : `target ≤ ${times(t.target)}`, `**${times(t.ratio)}**`],
      ],
    ),
  ];
  if (t.withRecording !== undefined) {
    lines.push(
      '',
      `With delivery recording (${t.withRecording.note}): ${usd(t.withRecording.total)}, ${times(t.withRecording.ratio)} the floor.`,
    );
  }
  if (t.atCpuShare !== undefined) {
    const s = t.atCpuShare;
    lines.push(
      '',
      `At the CPU share (computed, information): the handler's ${num(s.cpuMs, 2)} ms of CPU per request (part 2) run at ${num(s.share, 3)} of a vCPU would bill about ${num(s.billedMs, 1)} ms: the duration line ${usd(s.durationPerMillion)}, the total ${usd(s.total)}, ${times(s.ratio)} the floor.`,
    );
  }
  if (t.atLogLevelWarn !== undefined) {
    const w = t.atLogLevelWarn;
    lines.push(
      '',
      `At application log level ${w.applicationLogLevel} (computed, information; the construct's \`applicationLogLevel\` prop, default INFO): a successful request writes no handler line (its ${num(w.handlerLogBytes, 0)} bytes left out): the logs line ${usd(w.logsPerMillion)}, the total ${usd(w.total)}, ${times(w.ratio)} the floor.`,
    );
  }
  return lines.join('\n');
}

const itemText = (item: WrittenItem | undefined) =>
  item === undefined
    ? 'none'
    : `${item.bytes} B, ${item.writeUnits} WRU${item.indexBytes === undefined ? '' : `; index entry ${item.indexBytes} B, ${item.indexWriteUnits} WRU`}`;

function recordingSection(recording: readonly RecordingCost[]): string {
  return [
    '**What delivery recording adds, per million deliveries** (the deliveries part, section 7: side A recorded, or a body over the inline limit, against side B)',
    '',
    tableOf(
      ['comparison', 'item', 'usage per delivery (measured / computed)', '$ per million'],
      recording.flatMap((r) => [
        ...r.lines.map((l) => [r.name, l.item, l.usage, usd(l.perMillion)]),
        [`**${r.name}**`, '**added**', '', `**${usd(r.total)}**`],
      ]),
    ),
  ].join('\n');
}

export function render(results: Results): string {
  const targets = evaluateTargets(results);
  const analysis = analysisSections(results);
  const { gateway, handlers, coldstart, fanout } = results.parts;
  const awsCalls = results.parts['aws-calls'];
  const cost = results.parts.cost;
  const deliveries = results.parts.deliveries;
  const out: string[] = [];
  const push = (...blocks: string[]) => {
    for (const block of blocks) out.push(block, '');
  };

  push(
    '# Benchmarks',
    '<!-- Generated by bench/run.ts from bench/results.json and bench/analysis.md: edit those, then run `npx tsx bench/run.ts render`. -->',
    'What hookflow costs per webhook, in CPU, throughput, AWS calls and dollars, each against a like-for-like baseline measured in the same run: the benchmark suite of issues 7 and 18. ' +
      'These are benchmarks, not tests: nothing here runs in CI, and no figure fails a build. ' +
      '`npm run bench` (`npx tsx bench/run.ts`) runs every part (a few minutes on a 2-core machine), writes the raw figures to ' +
      '`bench/results.json` and regenerates this page; `npx tsx bench/run.ts <part>…` runs some parts ' +
      "(`coldstart`, `gateway`, `fanout`, `handlers`, `aws-calls`, `deliveries`, `cost`) and keeps the others' last figures; `render` only regenerates this page.",
    'How to read it: every comparison is paired (A, B, A, B …, alternating which goes first) and reported as the ratio of the two medians, with the median of the per-pair ratios as a check. ' +
      'No target is an absolute time: those depend on the machine, and the machine is shared and noisy (expect 10-30% between runs in absolute figures; ratios move less). ' +
      'Each section says what is **measured** (and how) and what is **computed** from measurements and public prices. ' +
      'Local figures come from the local stack (`npm start`: dynalite, fauxqs and the local Step Functions endpoint on loopback), not from AWS.',
  );

  push('## Targets');
  push(
    tableOf(
      ['target', 'hookflow vs baseline (medians)', 'ratio', 'limit', 'result'],
      targets.map((t) => [
        t.description,
        t.sides,
        times(t.ratio),
        `${t.kind === 'min' ? '≥' : '≤'} ${times(t.limit)}`,
        passes(t) ? 'pass' : '**miss**',
      ]),
    ),
    `${targets.filter(passes).length} of ${targets.length} targets pass. Each miss is explained under [Why targets miss](#why-targets-miss-and-what-would-fix-them). The cold-start target (a ratio to an empty Node process) is reported by the cold-start part.`,
  );

  // 1. Gateway
  push('## 1. Local throughput: keyed flow trigger against a like-for-like ceiling', provenance(gateway, 'gateway'));
  if (gateway?.data?.rounds !== undefined) {
    const g = gateway.data;
    const row = (round: string, r: (typeof g.rounds)[number]['hookflow']) => [
      round,
      r.target,
      num(r.rps, 0),
      ms(r.latencyMs.p50, 0),
      ms(r.latencyMs.p99, 0),
      `${r.ok} / ${r.non2xx} / ${r.errors}`,
      Object.entries(r.cpuPercent)
        .map(([p, v]) => `${p} ${num(v, 0)}%`)
        .join(', '),
    ];
    push(
      `**Measured**: autocannon ${gateway.machine.versions.autocannon ?? ''} in the bench process at ${g.settings.connections} connections against three sides, each warmed up for ${g.settings.warmupSeconds} s, then in ${g.settings.rounds} rounds of ${g.settings.roundSeconds} s per side, the order alternating (ceiling, unrecorded, recorded; then recorded, unrecorded, ceiling; …). ` +
        `The target: \`POST /flows/hello-unrecorded/trigger\`, the demo's \`hello\` flow (the same Express workflow) with delivery recording off, because the ceiling records nothing and issue 18's cost target is "without delivery recording". ` +
        'In the same rounds, as information: `POST /flows/hello/trigger`, whose claim carries its delivery record (a larger item and its `deliveries` index entry; docs/deliveries.md), so the table shows what recording costs in throughput. ' +
        'Both through the local stack started as `npm start` does (gateway, handler, dynalite, local Step Functions; its own processes), with `Authorization: Bearer hf_local_dev_key`, a 17-byte JSON body and a unique `Idempotency-Key` per request. ' +
        "Ceiling: `bench/support/ceiling-server.ts`, a plain Node HTTP server in its own process that makes, per request, one SDK PutItem (the dedupe claim's conditional write) to the same dynalite and one SDK StartExecution of the same Express workflow (`hookflow-echo`) on the stack's local Step Functions endpoint, its run named as a keyed trigger names its own (so the workflow runs its Express run guard and the guard's PutItem, as a trigger's run does), with clients configured as the handlers' are, and answers 202: the floor of a keyed trigger (one claim, one start), what any webhook front end that dedupes and starts a workflow must at least do here. The start makes the comparison like-for-like: the local Step Functions endpoint (a process of its own, \`stepfunctions\` in the CPU column) runs every started execution, for the ceiling's requests as for hookflow's. " +
        "CPU: each process's user + system time over the run (100% = one core). " +
        '**Computed**: the ratio of the medians over the rounds (req/s and p99), and the median of the per-round ratios.',
      tableOf(
        ['round', 'target', 'req/s', 'p50', 'p99', '2xx / non-2xx / errors', 'CPU during the run'],
        g.rounds.flatMap((r, i) => r.sequence.map((side) => row(`${i + 1}`, r[side]))),
      ),
      `req/s: the unrecorded trigger ${num(g.rps.medianA, 0)} against the ceiling's ${num(g.rps.medianB, 0)} (medians): **${times(g.rps.ratio)}** (per-round ratios, median ${times(g.rps.medianPairRatio)}). ` +
        `p99: ${ms(g.p99.medianA, 0)} against ${ms(g.p99.medianB, 0)}: **${times(g.p99.ratio)}** (per round ${times(g.p99.medianPairRatio)}). ` +
        `Recorded (information): ${num(g.recordedRps.medianA, 0)} req/s, ${times(g.recordedRps.ratio)} the ceiling's, p99 ${ms(g.recordedP99.medianA, 0)} (${times(g.recordedP99.ratio)}); recording takes the trigger to ${times(g.recordedVsUnrecordedRps.ratio)} the unrecorded one's req/s (per round ${times(g.recordedVsUnrecordedRps.medianPairRatio)}). ` +
        `At one connection (no queueing) the unrecorded trigger answers in ${ms(g.hookflowOneConnection.latencyMs.p50, 1)} (p50), ${ms(g.hookflowOneConnection.latencyMs.p99, 1)} (p99). ` +
        `AWS calls the stack made per answered trigger during the runs (approximate at the edges): unrecorded ${callsText(g.awsCallsPerRequest)}; recorded ${callsText(g.recordedAwsCallsPerRequest)}.`,
    );
  }

  // 2. Handler CPU
  push('## 2. CPU per request of each handler, against the same AWS calls sent bare', provenance(handlers, 'handlers'));
  if (handlers?.data !== undefined) {
    const h = handlers.data;
    push(
      "**Measured**: each handler's deployed bundle (built as `cdk synth` builds it) is required and invoked in the bench process with payload-2.0 events, one request at a time; " +
        "its AWS SDK calls go to the local stack's dynalite, fauxqs and Step Functions endpoint over loopback. " +
        "Each invocation is paired with a replay of the calls it made (bench/lib/replay.ts: recorded by wrapping the SDK clients' `send`, sent again from plain clients configured as functions/adapters/aws/clients.ts configures them, concurrently where the handler sent them concurrently; a creating PutItem gets a fresh key and a start a fresh name so the replay meets the same state). " +
        'Pairs alternate which side runs first; `process.cpuUsage()` (user + system) around each side only. ' +
        `${h.settings.warmup} warm-up pairs, then ${h.settings.iterations['1KB']} measured (1 KB and no body) or ${h.settings.iterations['100KB']} (100 KB). ` +
        'The fan-out worker gets SQS events of 10 records. Log bytes: what the handler wrote to stdout and stderr (discarded) per invocation. ' +
        'Own CPU: after the pairs, the same handler invoked again (up to 60 times each way) with every AWS call answered by the answer that operation last got (no SDK serializing, signing, HTTP or parsing), first at once, then each answer after 1 ms as a real request waits for the network (its code then resumes cold, as in a real request; bench/analysis.md, handlers.cpu): what hookflow itself does per request, measured rather than inferred. SDK call CPU: each call from its `send` to its answer, summed per invocation, in the handler and in its replay (calls in flight together each counted whole: compare the two sides, not a total); a row whose invocations did not all answer as expected says so (those took another path through the handler). ' +
        "**Computed**: the ratio of the medians (target: at most 1.3×), the median of the per-pair ratios, and hookflow's share, 1 − bare / handler. The share counts everything the handler's side costs beyond the bare calls; the own CPU columns are the part of it spent in hookflow's code (at once: its code hot, back to back; after 1 ms: resuming after each wait, as in a real request), and the SDK call column shows whether the calls themselves cost more inside the handler than replayed.",
      tableOf(
        [
          'handler',
          'request',
          'body',
          'handler CPU (median)',
          'same calls bare (median)',
          'ratio (pairs)',
          "hookflow's share",
          'own CPU, SDK answered from cache: at once / after 1 ms (median)',
          'SDK call CPU: in the handler / replayed (median)',
          'replay differed',
          'wall p50',
          'log bytes',
          'AWS calls per invocation',
        ],
        h.runs.map((r) => [
          r.handler,
          `${r.what}${r.dedupe === 'none' ? ' (no key)' : ''}`,
          r.size ?? '—',
          ms(r.cpuMedianMs ?? r.cpuMs.p50, 2),
          r.bareCpuMedianMs === undefined ? 'n/a' : ms(r.bareCpuMedianMs, 2),
          r.cpuRatio === undefined ? 'n/a' : `${times(r.cpuRatio)} (${times(r.cpuMedianPairRatio)})`,
          r.bareCpuMedianMs === undefined ? 'n/a' : `${num(100 * (1 - r.bareCpuMedianMs / r.cpuMedianMs), 0)}%`,
          r.ownCpuMs === undefined
            ? 'n/a'
            : `${ms(r.ownCpuMs.median, 2)}${r.ownCpuMs.waitingMedian === undefined ? '' : ` / ${ms(r.ownCpuMs.waitingMedian, 2)}`}${r.ownCpuMs.failures > 0 ? ` (${r.ownCpuMs.failures} of ${r.ownCpuMs.iterations} took another path)` : ''}`,
          r.sdkCpuMs === undefined ? 'n/a' : `${ms(r.sdkCpuMs.handler, 2)} / ${ms(r.sdkCpuMs.bare, 2)}`,
          r.replayMismatchesPerInvocation === undefined || r.replayMismatchesPerInvocation === 0
            ? 'no'
            : `${num(r.replayMismatchesPerInvocation, 2)} calls/inv. (${r.replayMismatchExamples.join('; ')})`,
          ms(r.wallMs.p50, 1),
          num(r.logBytesPerInvocation ?? Number.NaN, 0),
          callsText(r.awsCalls) + (r.failures > 0 ? ` (**${r.failures} unexpected answers**)` : ''),
        ]),
      ),
      `Where the flow trigger's CPU goes (1 KB, Idempotency-Key; ${h.settings.profiledIterations} requests under the V8 CPU profiler at 100 µs, without the replay; share of the busy CPU):`,
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
      'Each handler bundled with esbuild exactly as the construct bundles it at `cdk synth` (the options of lib/handler-bundling.ts, which lib/hookflow-function.ts, the package build and this bench share: `--bundle --platform=node --target=node22 --format=cjs --minify --sourcemap --sources-content=false --main-fields=module,main --supported:dynamic-import=false`, the AWS SDK bundled in but for its credential chain past the environment (`--external:` those six links: Lambda always puts the execution role keys in the environment, and the Lambda runtime has its own copy of the rest) and its event-stream support (`--external:@smithy/core/event-streams`: no command hookflow sends uses it; lib/handler-bundling.ts `SDK_CODE_NEVER_RUN`), no `--enable-source-maps`), with a metafile. ' +
        `Measured: pairs of fresh \`node\` (${coldstart.machine.node}) processes, A then B, ${c.settings.pairs} times per handler: A requires the bundle (with the environment the handler reads at cold start) and checks it exports a handler; B is an empty Node process with the same environment. ` +
        "Wall time is from spawn to exit, seen by the bench; CPU is the child's own (user + system) at exit. " +
        `Computed: the ratios of the medians, handler over empty; the target (at most ${c.settings.maxRatio}x) is on CPU, which other load on a shared machine barely moves (wall time there varies by 2x from one run to the next) and which is what a Lambda function's init takes at fractional vCPU (256 MB: about a seventh of one), where wall time follows CPU. ` +
        "In the handlers that store or read large bodies, the S3 body store is a second file beside the bundle (`s3-body-store.js`, lib/handler-bundling.ts `BODY_STORE`), required at the first large body, so the processes here do not load it; 'store in the one file' is the same handler with the store left in its bundle (loaded with `import()`, as before the split), measured the same way in the same run (" +
        `${c.settings.beforePairs} pairs). ` +
        "'Before' is issue 18's starting point measured the same way in the same run (" +
        `${c.settings.beforePairs} pairs): the AWS SDK left to the runtime's copy (resolved from node_modules, as the runtime resolves /var/runtime's), no \`module\` field first, \`NODE_OPTIONS=--enable-source-maps\`. ` +
        "A proxy for Lambda's init phase: it leaves out the runtime's own start and the code download, and this machine is not a Graviton. Bytes are information, not a target: they do not predict load time. KB = 1,024 bytes.",
      tableOf(
        [
          'handler',
          'ratio (wall)',
          'ratio (CPU)',
          'handler / empty (median ms)',
          ...(c.sdkClients === undefined ? [] : ['above the SDK clients alone (CPU)']),
          'before: ratio (CPU)',
          'store in the one file (CPU)',
          'bundle',
          'largest parts of the bundle',
        ],
        c.handlers.map((h) => [
          h.name,
          `${num(h.load.ratio, 2)}x`,
          `**${num(h.load.cpuRatio, 2)}x**`,
          `${ms(h.load.handlerMs, 0)} / ${ms(h.load.emptyMs, 0)}`,
          ...(c.sdkClients === undefined
            ? []
            : [
                h.origins.some((o) => o.origin.startsWith('@smithy/'))
                  ? `+${num(h.load.cpuRatio - c.sdkClients.load.cpuRatio, 2)}x`
                  : 'no AWS SDK',
              ]),
          `${num(h.before.load.cpuRatio, 2)}x`,
          h.oneFile === undefined ? 'no second file' : `${num(h.oneFile.load.cpuRatio, 2)}x`,
          `${kb(h.bytes)}${h.bodyStoreBytes === undefined ? '' : ` + ${kb(h.bodyStoreBytes)}`} (before ${kb(h.before.bytes)})`,
          h.origins
            .slice(0, 3)
            .map((o) => `${o.origin} ${kb(o.bytes)}`)
            .join(', '),
        ]),
      ),
      ...(c.sdkClients === undefined
        ? []
        : [
            `The floor while a handler loads the AWS SDK at init, measured the same way: a bundle of only the DynamoDB and Step Functions clients (what 11 of the 12 handlers load at init; inbound adds SQS, and the six that queue a start only when the engine is busy load it as a second file at the first such start), constructed (${kb(c.sdkClients.bytes)}): **${num(c.sdkClients.load.cpuRatio, 2)}x** the CPU of an empty Node process (wall ${num(c.sdkClients.load.ratio, 2)}x). ${c.sdkClients.load.cpuRatio > c.settings.maxRatio ? `That is already over the target: no handler that loads the SDK at init can reach ${c.settings.maxRatio}x.` : `That is within the target, with nothing to spare for the rest of a handler.`} What a handler adds to it (the column "above the SDK clients alone", computed: the two CPU ratios' difference, each over its own empty processes in this run) is hookflow, zod (on \`zod/mini\`) and Powertools' Logger (middy only in the fan-out worker); the S3 client is no longer part of it (a second file, loaded at the first large body), nor, but in inbound, the SQS client. bench/analysis.md says what remains and why.` +
              (c.sdkClients.withCodeNeverRun === undefined
                ? ''
                : ` The same clients with the SDK code hookflow never runs bundled in (lib/handler-bundling.ts, \`SDK_CODE_NEVER_RUN\`: the event-stream support), measured the same way in this run: ${kb(c.sdkClients.withCodeNeverRun.bytes)}, ${num(c.sdkClients.withCodeNeverRun.load.cpuRatio, 2)}x.`),
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
      "Counted by wrapping `send` on the SDK's DynamoDB, Step Functions, SQS and S3 client classes (bench/support/aws-call-counter.cjs): each handler's deployed bundle runs in the bench process against the local stack's services, and every call it makes is counted, per invocation (1 KB bodies; the same calls at 100 KB). " +
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
      `Cross-check through the gateway (${a.gatewayCrossCheck.requests} sequential flow triggers, counted inside the stack's processes: the gateway's and handlers', and the local Step Functions endpoint's): with an Idempotency-Key ${callsText(a.gatewayCrossCheck.withIdempotencyKey)} per request; without one ${callsText(a.gatewayCrossCheck.withoutIdempotencyKey)} (DynamoDB writes: ${num(dynamoWrites(a.gatewayCrossCheck.withIdempotencyKey), 2)} and ${num(dynamoWrites(a.gatewayCrossCheck.withoutIdempotencyKey), 2)}; the workflow's run guard writes one PutItem of its own per keyed Express run, from Step Functions).` +
        (a.gatewayCrossCheck.expressUnrecordedWithIdempotencyKey === undefined
          ? ''
          : ` hello-unrecorded (the same guarded Express workflow, no delivery records) with an Idempotency-Key: ${callsText(a.gatewayCrossCheck.expressUnrecordedWithIdempotencyKey)}; its duplicates: ${callsText(a.gatewayCrossCheck.expressUnrecordedDuplicate ?? {})}. The claim is the handler's one write, for hello too: the delivery record its claim carries names the run guard's item as its run, which the deliveries API reads (docs/deliveries.md).`),
    );
  }

  // 6. Cost
  push('## 6. Cost per million, next to the floor', provenance(cost, 'cost'));
  if (cost?.data?.unkeyed !== undefined) {
    const c = cost.data;
    const p = c.prices;
    push(
      `**Computed** from the measurements of parts 2, 3 and 4 (named in each line) and public list prices, ${p.region} (${p.asOf}; each price with its AWS pricing page in bench/parts/cost.ts): ` +
        `API Gateway HTTP API $${p.apiGatewayHttpPerMillionRequests.toFixed(2)} per million requests; Lambda arm64 $${p.lambdaArmPerGbSecond} per GB-second and $${p.lambdaPerMillionRequests.toFixed(2)} per million requests, INIT billed like invocation time since August 2025; ` +
        `DynamoDB on-demand $${p.dynamodbPerMillionWriteUnits} per million write request units and $${p.dynamodbPerMillionReadUnits} per million read request units; SQS standard $${p.sqsStandardPerMillionRequests.toFixed(2)} per million requests; ` +
        `Step Functions Express $${p.stepFunctionsExpressPerMillionRequests.toFixed(2)} per million requests plus $${p.stepFunctionsExpressPerGbSecond} per GB-second (100 ms increments, 64 MB minimum), Standard $${p.stepFunctionsStandardPerMillionTransitions} per million state transitions; CloudWatch Logs $${p.cloudwatchLogsPerGbIngested.toFixed(2)} per GB ingested. ` +
        `Lambda memory ${c.lambdaMemoryMb} MB (lib/hookflow-function.ts). ` +
        "The floor is what API Gateway's direct Step Functions integration costs for the same request: one API Gateway request and one StartExecution, no Lambda, no DynamoDB.",
      costSection(c.unkeyed),
      costSection(c.keyed),
      costSection(c.batchedItem),
      ...(c.recording === undefined ? [] : [recordingSection(c.recording)]),
      `Lambda sensitivity: each extra 10 ms of billed duration at ${c.lambdaMemoryMb} MB adds ${usd(c.per10msPerMillion)} per million invocations.`,
      'Assumptions:',
      c.assumptions.map((a) => `- ${a}`).join('\n'),
    );
  }

  // 7. Delivery recording
  push('## 7. Delivery recording: latency, calls and items', provenance(deliveries, 'deliveries'));
  if (deliveries?.data !== undefined) {
    const d = deliveries.data;
    push(
      `**Measured** through the local stack's gateway (issue 19 item 1): flow triggers to \`hello\` (recorded) and to \`hello-unrecorded\` (the same workflow, \`recordDeliveries: false\`: a flow only the bench's copy of the local config registers, bench/lib/stack.ts), ${d.settings.pairs} pairs after ${d.settings.warmup} warm-up pairs, A, B, A, B … alternating which goes first; ${d.settings.bodyBytes}-byte JSON bodies. ` +
        `The body comparison sends a recorded body just over \`DELIVERY_INLINE_BODY_BYTES\` (${d.settings.inlineBodyBytes} bytes: kept in S3, one PutObject) against one at it (kept on the record, base64). ` +
        "Latency is the sender's wall time per request (one request at a time, on loopback). Calls per request: the call counter in the stack process over " +
        `${d.settings.callRequests} sequential requests per side. Items: one more request per side, its item read back (GetItem) and sized as DynamoDB bills it (bench/lib/item-size.ts); its \`deliveries\` index entry is the table key, the index keys and the projected attributes. ` +
        "Not measured here: the handler's CPU per request (the gateway and every handler share the stack's process, so its CPU is not the handler's alone).",
      tableOf(
        [
          'comparison',
          'A',
          'B',
          'latency median A / B',
          'A / B',
          'median pair ratio',
          'calls per request A; B',
          'item A; B',
        ],
        d.comparisons.map((c) => [
          `${c.name}: ${c.description}`,
          c.a.label,
          c.b.label,
          `${ms(c.latency.medianA, 2)} / ${ms(c.latency.medianB, 2)}`,
          `**${times(c.latency.ratio)}**`,
          times(c.latency.medianPairRatio),
          `${callsText(c.a.calls)}; ${callsText(c.b.calls)}`,
          `${itemText(c.a.item)}; ${itemText(c.b.item)}`,
        ]),
      ),
      'What recording costs per million deliveries is in section 6 (computed from these calls and items).',
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
      '- `bench/lib/paired.ts`: the one way the suite compares two things: A, B, A, B … (alternating which goes first), per-side samples, medians, the ratio of medians and the median of the per-pair ratios.',
      '- `bench/lib/replay.ts`: records the AWS SDK calls a handler makes and replays them from plain clients (the bare side of part 2).',
      '- `bench/support/ceiling-server.ts`: the like-for-like ceiling of part 1 (a Node HTTP server making one SDK PutItem and one StartExecution per request).',
      '- `bench/support/aws-call-counter.cjs`: counts AWS SDK v3 commands by wrapping `send` on the client classes, in the bench process and (preloaded with `NODE_OPTIONS=--require`) in the local stack.',
      '- `bench/analysis.md`: the reasoning behind each missed target, with `{{…}}` placeholders filled from the results.',
      '- Nothing in `functions/`, `lib/` or `local/` is changed to measure it: what-ifs (the zod import) rewrite sources in memory while bundling.',
    ].join('\n'),
  );
  return out.join('\n');
}
