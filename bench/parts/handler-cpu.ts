import { Session } from 'node:inspector';
import { runScenarios, type RunSettings, type ScenarioRun } from '../lib/in-process';
import { log } from '../lib/log';
import type { BenchStack } from '../lib/stack';
import { round } from '../lib/stats';

export const HANDLER_SETTINGS: RunSettings & { readonly profiledIterations: number } = {
  warmup: 30,
  iterations: { '1KB': 120, '100KB': 40, none: 120 },
  profiledIterations: 150,
};

export interface HandlerCpuResult {
  readonly settings: typeof HANDLER_SETTINGS;
  readonly runs: ScenarioRun[];
  /**
   * The flow trigger (1 KB, Idempotency-Key) once more under the V8 CPU profiler: the share of this process's
   * busy CPU by where it was spent (innermost frame that belongs to a package or to the handler bundle).
   */
  readonly flowTriggerProfile: Record<string, number>;
}

const HARNESS = 'bench harness';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

function shares(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }): Record<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const originOf = (url: string): string | undefined => {
    if (url.includes('hookflow-bench/bundles')) return 'handler bundle (hookflow, zod, Powertools)';
    if (/node_modules\/@(aws-sdk|smithy|aws-crypto)\//.test(url)) return 'AWS SDK (serialize, sign, send, parse)';
    if (url.includes('/bench/')) return HARNESS;
    if (url.includes('node_modules/')) return 'other packages';
    return undefined;
  };
  const totals = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const leaf = byId.get(profile.samples[i]!)!;
    if (leaf.callFrame.functionName === '(idle)') continue;
    const us = profile.timeDeltas[i] ?? 0;
    busy += us;
    let label: string | undefined;
    if (leaf.callFrame.functionName === '(garbage collector)') label = 'garbage collection';
    for (let id: number | undefined = leaf.id; label === undefined && id !== undefined; id = parent.get(id)) {
      label = originOf(byId.get(id)!.callFrame.url);
    }
    label ??= 'Node core, outside any package frame (HTTP client, sockets, timers)';
    totals.set(label, (totals.get(label) ?? 0) + us);
  }
  // The harness (building events, snapshotting counters) runs outside the timed section: leave it out.
  const handlerBusy = busy - (totals.get(HARNESS) ?? 0);
  totals.delete(HARNESS);
  return Object.fromEntries(
    [...totals].sort((a, b) => b[1] - a[1]).map(([label, us]) => [label, round((100 * us) / handlerBusy, 1)]),
  );
}

/**
 * 2. CPU per request of each handler in process (target 3): its deployed bundle invoked here, the AWS calls
 * answered by the local stack's services, paired with the same calls replayed bare from plain SDK clients
 * (bench/lib/replay.ts); process.cpuUsage() around each side, medians and their ratio.
 */
export async function runHandlerCpu(stack: BenchStack): Promise<HandlerCpuResult> {
  const runs = await runScenarios(stack, HANDLER_SETTINGS, 'handlers');
  log(
    'handlers',
    `flow-trigger 1KB once more under the CPU profiler (${HANDLER_SETTINGS.profiledIterations} requests)`,
  );
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  await runScenarios(
    stack,
    { replay: false, warmup: 0, iterations: { '1KB': HANDLER_SETTINGS.profiledIterations, '100KB': 0, none: 0 } },
    'handlers',
    (scenario, size) => scenario.handler === 'flow-trigger' && scenario.dedupe !== 'none' && size === '1KB',
  );
  const { profile } = await post<{ profile: Parameters<typeof shares>[0] }>('Profiler.stop');
  session.disconnect();
  const flowTriggerProfile = shares(profile);
  log('handlers', `  busy CPU by origin (%): ${JSON.stringify(flowTriggerProfile)}`);
  return { settings: HANDLER_SETTINGS, runs, flowTriggerProfile };
}
