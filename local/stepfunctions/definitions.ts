/**
 * What the local endpoint reads out of an ASL definition before running it: its Task states (which run
 * through local integrations, since aws-local-stepfunctions would call AWS Lambda), and one fix-up.
 */
import { type IntegrationPattern, parseTaskResource } from '../../workflows/service-integrations';

type Json = Record<string, unknown>;

export interface TaskState {
  readonly name: string;
  readonly resource: string;
  readonly heartbeatSeconds?: number;
}

/**
 * aws-local-stepfunctions times a Task out after 60 s when it sets no TimeoutSeconds; AWS's default is
 * 99,999,999 s. A task waiting for a token must be allowed to wait, so such tasks get the longest timer Node
 * can hold (2^31-1 ms, about 24.8 days) instead.
 */
const LONGEST_TIMER_SECONDS = 2_147_483;

/** A copy of `definition` with every Task state (also inside Map and Parallel) given a real default timeout. */
export function withAwsTaskTimeouts(definition: Json): Json {
  // A JSON round trip, not structuredClone: under jest the latter builds objects of another realm, which
  // aws-local-stepfunctions then fails to recognise as plain objects.
  const copy = JSON.parse(JSON.stringify(definition)) as Json;
  for (const state of statesOf(copy)) {
    if (state.body.Type === 'Task' && !('TimeoutSeconds' in state.body) && !('TimeoutSecondsPath' in state.body)) {
      state.body.TimeoutSeconds = LONGEST_TIMER_SECONDS;
    }
  }
  return copy;
}

export function taskStates(definition: Json): TaskState[] {
  return statesOf(definition)
    .filter((state) => state.body.Type === 'Task')
    .map((state) => ({
      name: state.name,
      resource: String(state.body.Resource),
      ...(typeof state.body.HeartbeatSeconds === 'number' ? { heartbeatSeconds: state.body.HeartbeatSeconds } : {}),
    }));
}

/**
 * How the local endpoint runs a Task resource: the key of the integration that serves it (the resource in
 * the `aws` partition, without its pattern suffix: `arn:aws-cn:states:::dynamodb:putItem` runs what
 * `arn:aws:states:::dynamodb:putItem` runs) and its integration pattern. Undefined for what no integration
 * can serve here (activities, Lambda function ARNs, anything the table does not read).
 */
export function integrationOf(resource: string): { key: string; pattern: IntegrationPattern } | undefined {
  const parsed = parseTaskResource(resource);
  if (parsed === undefined || (parsed.kind !== 'optimized' && parsed.kind !== 'aws-sdk')) return undefined;
  const service = parsed.kind === 'aws-sdk' ? `aws-sdk:${parsed.service}` : parsed.service;
  return { key: `arn:aws:states:::${service}:${parsed.action}`, pattern: parsed.pattern };
}

function statesOf(definition: Json): { name: string; body: Json }[] {
  const found: { name: string; body: Json }[] = [];
  const states = (definition.States ?? {}) as Record<string, Json>;
  for (const [name, body] of Object.entries(states)) {
    found.push({ name, body });
    const processor = (body.ItemProcessor ?? body.Iterator) as Json | undefined;
    if (processor !== undefined) found.push(...statesOf(processor));
    for (const branch of (body.Branches ?? []) as Json[]) found.push(...statesOf(branch));
  }
  return found;
}
