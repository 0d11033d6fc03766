import { UsageError, callApi } from './api-client';
import type { CommandInput, Output } from './commands';

/**
 * `hookflow deliveries list|get|replay`: the deliveries API (docs/deliveries.md) from the command line. A bulk
 * replay dry-runs every page first and prints the count; only with --yes does it start them, page by page, each
 * page confirmed with the `expect` of its own dry run (the API answers 409, starting nothing, if it changed).
 */

/** The filters a list and a bulk replay take, as flags (CLI name → API name). */
export const FILTER_FLAGS = {
  style: 'style',
  registration: 'registration',
  outcome: 'outcome',
  'correlation-id': 'correlationId',
  from: 'from',
  to: 'to',
} as const;

export interface DeliveryFlags {
  readonly filters: Readonly<Partial<Record<keyof typeof FILTER_FLAGS, string>>>;
  /** A duration back from now (30m, 1h, 2d): sets `from` when --from is not given. */
  readonly since?: string;
  readonly limit?: string;
  readonly cursor?: string;
  readonly mode?: string;
  readonly dryRun: boolean;
  readonly yes: boolean;
}

interface Summary {
  id: string;
  receivedAt: string;
  style: string;
  registration: string;
  outcome: string;
  status: number;
  reason?: string;
  correlationId?: string;
  replayOf?: string;
  runs: { executionArn?: string; executionName?: string; runRef?: string }[];
}

interface ReplayItem {
  deliveryId: string;
  outcome: string;
  reason?: string;
  error?: string;
  replay?: string;
  runs?: { executionArn: string; executionLink: string }[];
}

interface BulkAnswer {
  filter: Record<string, string>;
  matched: number;
  wouldStart: number;
  started?: number;
  next?: string;
  deliveries: ReplayItem[];
}

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const keyOnly = { keyOnly: true } as const;

/** The filters as the API takes them; --since N[smhd] becomes `from` (now − N). */
export function filtersOf(flags: DeliveryFlags, now = Date.now()): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const [flag, name] of Object.entries(FILTER_FLAGS)) {
    const value = flags.filters[flag as keyof typeof FILTER_FLAGS];
    if (value !== undefined) filter[name] = value;
  }
  if (flags.since !== undefined && filter.from === undefined) {
    const match = /^(\d+)([smhd])$/.exec(flags.since);
    if (match === null) throw new UsageError(`--since "${flags.since}": give a duration like 30m, 1h or 2d`);
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
    filter.from = new Date(now - Number(match[1]) * unit).toISOString();
  }
  return filter;
}

function describeSummary(d: Summary): string {
  const runs = d.runs.length === 0 ? 'no run' : `${d.runs.length} run${d.runs.length === 1 ? '' : 's'}`;
  return [
    d.id,
    d.receivedAt,
    d.style,
    d.registration,
    `${d.outcome} ${d.status}`,
    runs,
    ...(d.correlationId === undefined ? [] : [`correlation ${d.correlationId}`]),
    ...(d.replayOf === undefined ? [] : [`replay of ${d.replayOf}`]),
    ...(d.reason === undefined ? [] : [`(${d.reason})`]),
  ].join('  ');
}

function describeReplay(item: ReplayItem): string {
  const detail = item.reason ?? item.error ?? (item.runs ?? []).map((r) => r.executionLink).join(' ');
  return `${item.deliveryId}  ${item.outcome}${item.replay === undefined ? '' : ` as ${item.replay}`}  ${detail}`.trimEnd();
}

function modeOf(flags: DeliveryFlags): string {
  const mode = flags.mode ?? 'if-no-run';
  if (mode !== 'if-no-run' && mode !== 'force') throw new UsageError(`--mode "${mode}": if-no-run or force`);
  return mode;
}

export async function listDeliveries(input: CommandInput, flags: DeliveryFlags, out: Output): Promise<void> {
  const query = new URLSearchParams(filtersOf(flags));
  if (flags.limit !== undefined) query.set('limit', flags.limit);
  if (flags.cursor !== undefined) query.set('cursor', flags.cursor);
  const text = query.toString();
  const page = (await callApi(input.api, 'GET', `api/deliveries${text === '' ? '' : `?${text}`}`, keyOnly)) as {
    deliveries: Summary[];
    from: string;
    to: string;
    next?: string;
  };
  if (input.json) return out.print(pretty(page));
  const lines = page.deliveries.map(describeSummary);
  out.print(
    `${lines.length === 0 ? `no deliveries from ${page.from} to ${page.to}` : lines.join('\n')}\n` +
      (page.next === undefined ? '' : `more: --cursor ${page.next}\n`),
  );
}

export async function getDelivery(input: CommandInput, id: string, out: Output): Promise<void> {
  const { delivery } = (await callApi(input.api, 'GET', `api/deliveries/${encodeURIComponent(id)}`, keyOnly)) as {
    delivery: Omit<Summary, 'runs'> & {
      method: string;
      path: string;
      headers: Record<string, string>;
      body: { bytes: number; kept: boolean; encoding?: string; text?: string; base64?: string };
      runs: {
        executionArn?: string;
        executionLink?: string;
        executionName?: string;
        runRef?: string;
        status: string;
        statusNote?: string;
      }[];
    };
  };
  if (input.json) return out.print(pretty({ delivery }));
  const body = !delivery.body.kept
    ? `(${delivery.body.bytes} bytes, no longer kept)`
    : delivery.body.encoding === 'utf8'
      ? delivery.body.text
      : `(${delivery.body.bytes} bytes, base64) ${delivery.body.base64}`;
  const runs = delivery.runs.map(
    (run) =>
      `  ${run.status}  ${run.executionLink ?? run.executionName ?? run.runRef ?? ''}${run.statusNote === undefined ? '' : `  (${run.statusNote})`}`,
  );
  out.print(
    `${describeSummary({ ...delivery, runs: delivery.runs })}\n${delivery.method} ${delivery.path}\n` +
      `${Object.entries(delivery.headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n')}\n\n${body}\n\nruns:\n${runs.length === 0 ? '  none' : runs.join('\n')}\n`,
  );
}

export async function replayOne(input: CommandInput, id: string, flags: DeliveryFlags, out: Output): Promise<void> {
  const answer = (await callApi(input.api, 'POST', `api/deliveries/${encodeURIComponent(id)}/replay`, {
    ...keyOnly,
    body: JSON.stringify({ mode: modeOf(flags), dryRun: flags.dryRun }),
  })) as ReplayItem;
  out.print(input.json ? pretty(answer) : `${describeReplay(answer)}\n`);
}

/** Every page of a bulk replay, following `next`, with the filter the first page resolved. */
async function pages(
  input: CommandInput,
  first: Record<string, unknown>,
  each: (page: BulkAnswer, request: Record<string, unknown>) => Promise<BulkAnswer | void>,
): Promise<void> {
  let request: Record<string, unknown> = first;
  for (;;) {
    const dry = (await callApi(input.api, 'POST', 'api/deliveries/replay', {
      ...keyOnly,
      body: JSON.stringify({ ...request, dryRun: true }),
    })) as BulkAnswer;
    const page = (await each(dry, { ...request, filter: dry.filter })) ?? dry;
    if (page.next === undefined) return;
    request = { ...request, filter: dry.filter, cursor: page.next };
  }
}

export async function replayBulk(input: CommandInput, flags: DeliveryFlags, out: Output): Promise<void> {
  const mode = modeOf(flags);
  const first = { filter: filtersOf(flags), mode };
  let matched = 0;
  let wouldStart = 0;
  let filter: Record<string, string> | undefined;
  const planned: ReplayItem[] = [];
  await pages(input, first, async (dry) => {
    filter ??= dry.filter;
    matched += dry.matched;
    wouldStart += dry.wouldStart;
    planned.push(...dry.deliveries);
  });
  const range = filter === undefined ? '' : ` from ${filter.from} to ${filter.to}`;
  if (!flags.yes || flags.dryRun || wouldStart === 0) {
    if (input.json) return out.print(pretty({ filter, mode, dryRun: true, matched, wouldStart, deliveries: planned }));
    out.print(
      `${matched} deliveries match${range}; ${wouldStart} would start (mode ${mode})\n` +
        (wouldStart === 0 || flags.dryRun ? '' : 'run the same command with --yes to start them\n'),
    );
    return;
  }
  // Starts page by page over the range the dry run resolved: each page confirmed with its own dry run's count.
  let started = 0;
  const done: ReplayItem[] = [];
  await pages(input, { ...first, filter }, async (dry, request) => {
    if (dry.wouldStart === 0) {
      done.push(...dry.deliveries);
      return dry;
    }
    const page = (await callApi(input.api, 'POST', 'api/deliveries/replay', {
      ...keyOnly,
      body: JSON.stringify({ ...request, dryRun: false, expect: dry.wouldStart }),
    })) as BulkAnswer;
    started += page.started ?? 0;
    done.push(...page.deliveries);
    return page;
  });
  if (input.json) return out.print(pretty({ filter, mode, dryRun: false, matched, started, deliveries: done }));
  const lines = done.filter((item) => item.outcome !== 'skipped').map(describeReplay);
  out.print(`${lines.length === 0 ? '' : `${lines.join('\n')}\n`}started ${started} of ${matched} matching${range}\n`);
}
