/**
 * The checks of `npm run smoke`: one request (or one short conversation) per webhook style, made over HTTP as
 * a third party makes it, with the admin API only where a style needs a registration (registered webhooks).
 * Each check returns a one-line summary of what it saw, or throws with the reason. What a check creates it
 * hands to `cleanup`, which the runner calls whatever happens.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { type ApiResponse, type ApiSettings, errorMessage, sendApi } from '../cli/api-client';

export interface SmokeSettings {
  /** The stack's base URL (the ApiUrl output, or the local stack's). */
  readonly url: string;
  /** How long any one wait (a run to finish, a queued item to start) may take. */
  readonly timeoutMs: number;
  readonly flow: { readonly id: string; readonly key?: string };
  /** `client/name` of a client webhook; its key if it has one. */
  readonly clientWebhook: { readonly path: string; readonly key?: string };
  readonly inbound: { readonly workflow: string; readonly secret?: string };
  readonly events: {
    /** An event workflow started by ref (`POST /api/v2/webhook?ref=`). */
    readonly ref: string;
    /** A CloudEvent type some workflow subscribes to. */
    readonly type: string;
    /** An event workflow that waits for a callback on `waitTopic`, then succeeds. */
    readonly waitRef: string;
    readonly waitTopic: string;
  };
  readonly webhooks: { readonly apiKey?: string; readonly org: string; readonly template: string };
}

export interface CheckContext {
  readonly settings: SmokeSettings;
  /** Unique to this smoke run: in every payload, uid, idempotency key and event id, so runs never collide. */
  readonly runId: string;
  /** A secret the check was handed (a webhook's signing secret): never printed, whatever a server echoes. */
  hide(secret: string): void;
  /** Registers an undo step for something the check created; the runner runs them all at the end. */
  cleanup(name: string, undo: () => Promise<string>): void;
}

export interface Check {
  readonly name: string;
  /** The style the check belongs to (what `--skip` names). */
  readonly style: Style;
  readonly run: (context: CheckContext) => Promise<string>;
}

export const STYLES = ['flow-trigger', 'client-webhook', 'events', 'inbound', 'registered-webhooks'] as const;
export type Style = (typeof STYLES)[number];

/** A check failed: the message says why (never a key or secret). */
export class CheckFailed extends Error {}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};

/** Fails unless the answer has the expected status; the message names the request and hookflow's error. */
function expectStatus(what: string, response: ApiResponse, ...expected: number[]): Json {
  if (!expected.includes(response.status)) {
    throw new CheckFailed(
      `${what} answered ${response.status} (expected ${expected.join(' or ')}): ${errorMessage(response)}`,
    );
  }
  return asObject(response.body);
}

function expectString(what: string, body: Json, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new CheckFailed(`${what}: no "${field}" in the answer`);
  return value;
}

const anonymous = (settings: SmokeSettings): ApiSettings => ({ url: settings.url });
const admin = (settings: SmokeSettings): ApiSettings => ({
  url: settings.url,
  ...(settings.webhooks.apiKey === undefined ? {} : { apiKey: settings.webhooks.apiKey }),
  org: settings.webhooks.org,
});

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new CheckFailed(`no ${what}`);
  return value;
}

/**
 * Polls `probe` until it returns a value (not undefined), 250 ms apart doubling to 2 s, for at most the
 * smoke timeout; then fails naming what it waited for and what it saw last.
 */
async function waitFor<T>(
  context: CheckContext,
  what: string,
  probe: () => Promise<{ done: T } | { last: string }>,
): Promise<T> {
  const deadline = Date.now() + context.settings.timeoutMs;
  let delay = 250;
  for (;;) {
    const result = await probe();
    if ('done' in result) return result.done;
    if (Date.now() + delay > deadline) {
      throw new CheckFailed(`${what}: not within ${context.settings.timeoutMs / 1000} s (last: ${result.last})`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}

/**
 * Follows a run's execution link to its end when the stack serves it (the local stack answers
 * `GET /executions/{arn}` with JSON). A deployed stack's link is the Step Functions console, which needs a
 * login: nothing a third party can poll, so the run's end is then reported as not observable.
 */
async function followRun(
  context: CheckContext,
  link: string,
): Promise<{ status: string; output: unknown; error?: unknown } | undefined> {
  if (!link.startsWith(context.settings.url.replace(/\/?$/, '/'))) return undefined;
  return waitFor(context, 'the run to finish', async () => {
    const response = await sendApi(anonymous(context.settings), 'GET', link, { admin: false });
    const execution = expectStatus(`GET ${link}`, response, 200);
    const status = String(execution.status);
    return status === 'RUNNING'
      ? { last: status }
      : { done: { status, output: execution.output, error: execution.error } };
  });
}

/** Reads a finished run's output field `path` (dot-separated), or fails. */
function outputAt(output: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => asObject(value)[key], output);
}

/** The run of `link` ended SUCCEEDED with `marker` at `path` of its output; or its end cannot be seen here. */
async function expectRunSucceeded(context: CheckContext, link: string, path: string, marker: unknown): Promise<string> {
  const run = await followRun(context, link);
  if (run === undefined) return 'run end not observable over HTTP (execution link is the console)';
  if (run.status !== 'SUCCEEDED') {
    throw new CheckFailed(`the run ended ${run.status}${run.error === undefined ? '' : ` (${String(run.error)})`}`);
  }
  if (JSON.stringify(outputAt(run.output, path)) !== JSON.stringify(marker)) {
    throw new CheckFailed(`the run SUCCEEDED but its output has no ${JSON.stringify(marker)} at ${path}`);
  }
  return 'run SUCCEEDED with the payload in its output';
}

const path = (...segments: string[]) => segments.map(encodeURIComponent).join('/');

export const checks: readonly Check[] = [
  {
    name: 'flow-trigger',
    style: 'flow-trigger',
    run: async (context) => {
      const { settings, runId } = context;
      const key = required(settings.flow.key, 'flow API key: pass --flow-key or set HOOKFLOW_SMOKE_FLOW_KEY');
      const what = `POST /flows/${settings.flow.id}/trigger`;
      const response = await sendApi(anonymous(settings), 'POST', path('flows', settings.flow.id, 'trigger'), {
        admin: false,
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': `${runId}-flow` },
        body: JSON.stringify({ smoke: runId }),
      });
      const link = expectString(what, expectStatus(what, response, 202), 'executionLink');
      return `202 executionLink; ${await expectRunSucceeded(context, link, 'received.smoke', runId)}`;
    },
  },
  {
    name: 'client-webhook-sync',
    style: 'client-webhook',
    run: async ({ settings, runId }) => {
      const what = `POST /webhook/${settings.clientWebhook.path}`;
      const response = await sendApi(anonymous(settings), 'POST', clientWebhookPath(settings), {
        admin: false,
        body: JSON.stringify({ smoke: runId, ...keyField(settings) }),
      });
      const run = expectStatus(what, response, 200);
      if (run.status !== 'SUCCEEDED') throw new CheckFailed(`${what}: 200 with status ${String(run.status)}`);
      if (outputAt(run.output, 'received.smoke') !== runId && outputAt(run.input, 'payload.smoke') !== runId) {
        throw new CheckFailed(`${what}: 200, but the run's input and output carry no payload of this request`);
      }
      return '200 status SUCCEEDED with the run in the answer';
    },
  },
  {
    name: 'client-webhook-async',
    style: 'client-webhook',
    run: async ({ settings, runId }) => {
      const what = `POST /webhook/${settings.clientWebhook.path}?async`;
      const response = await sendApi(anonymous(settings), 'POST', `${clientWebhookPath(settings)}?async`, {
        admin: false,
        body: JSON.stringify({ smoke: runId, ...keyField(settings) }),
      });
      const run = expectStatus(what, response, 202);
      expectString(what, run, 'executionLink');
      if (run.status !== 'RUNNING') throw new CheckFailed(`${what}: 202 with status ${String(run.status)}`);
      return '202 status RUNNING with an executionLink';
    },
  },
  {
    name: 'events-webhook',
    style: 'events',
    run: async (context) => {
      const { settings, runId } = context;
      const what = `POST /api/v2/webhook?ref=${settings.events.ref}`;
      const response = await sendApi(
        anonymous(settings),
        'POST',
        `api/v2/webhook?ref=${encodeURIComponent(settings.events.ref)}`,
        {
          admin: false,
          headers: { 'idempotency-key': `${runId}-event-webhook` },
          body: JSON.stringify({ smoke: runId }),
        },
      );
      const started = expectStatus(what, response, 202);
      expectString(what, started, 'runRef');
      const link = expectString(what, started, 'executionLink');
      // The example event workflow echoes its input, {payload, trigger}.
      return `202 runRef; ${await expectRunSucceeded(context, link, 'payload.smoke', runId)}`;
    },
  },
  {
    name: 'events-cloudevent',
    style: 'events',
    run: async ({ settings, runId }) => {
      const what = `POST /api/v2/event (${settings.events.type})`;
      const response = await sendApi(anonymous(settings), 'POST', 'api/v2/event', {
        admin: false,
        headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
        body: JSON.stringify({
          specversion: '1.0',
          id: `${runId}-cloudevent`,
          source: '/hookflow/smoke',
          type: settings.events.type,
          data: { smoke: runId },
        }),
      });
      const events = expectStatus(what, response, 202).events;
      const started = Array.isArray(events) ? asObject(events[0]).started : undefined;
      if (!Array.isArray(started) || started.length === 0) {
        throw new CheckFailed(`${what}: 202, but no workflow subscribed to "${settings.events.type}" started`);
      }
      return `202, started ${started.map((run) => String(asObject(run).workflow)).join(', ')}`;
    },
  },
  {
    name: 'events-wait-callback',
    style: 'events',
    run: async (context) => {
      const { settings, runId } = context;
      const { waitRef, waitTopic } = settings.events;
      const what = `POST /api/v2/webhook?ref=${waitRef}`;
      const started = expectStatus(
        what,
        await sendApi(anonymous(settings), 'POST', `api/v2/webhook?ref=${encodeURIComponent(waitRef)}`, {
          admin: false,
          body: JSON.stringify({ smoke: runId }),
        }),
        202,
      );
      const runRef = expectString(what, started, 'runRef');
      const link = expectString(what, started, 'executionLink');
      const approval = { approvedBy: 'hookflow-smoke', smoke: runId };
      const callback = (id: string) =>
        sendApi(
          anonymous(settings),
          'POST',
          `api/v2/callback?ref=${encodeURIComponent(runRef)}&topic=${encodeURIComponent(waitTopic)}`,
          { admin: false, headers: { 'idempotency-key': id }, body: JSON.stringify(approval) },
        );
      const callbackId = `${runId}-callback`;
      // 204: the run waited and is resumed. 202: the callback came first and is kept; the run's wait takes it.
      const first = await callback(callbackId);
      expectStatus('POST /api/v2/callback', first, 204, 202);
      const how = first.status === 204 ? 'resumed the waiting task (204)' : 'kept before the run waited (202)';
      // The same callback again answers as the first did until the run has taken it, then 204: this is how
      // a third party sees, over HTTP alone, that the run consumed the callback.
      await waitFor(context, 'the run to take the callback', async () => {
        const again = await callback(callbackId);
        expectStatus('the repeated callback', again, 204, 202);
        return again.status === 204 ? { done: true } : { last: `${again.status} (still kept)` };
      });
      // Another callback must not resume it twice.
      const second = await callback(`${runId}-callback-2`);
      expectStatus('a second, different callback', second, 409);
      return `202 runRef; callback ${how}, repeat 204, another 409; ${await expectRunSucceeded(
        context,
        link,
        waitTopic,
        approval,
      )}`;
    },
  },
  {
    name: 'inbound-single',
    style: 'inbound',
    run: async (context) => {
      const { settings, runId } = context;
      const secret = inboundSecret(settings);
      const what = 'POST /inbound';
      const accepted = expectStatus(
        what,
        await sendApi(anonymous(settings), 'POST', 'inbound', {
          admin: false,
          headers: { 'inbound-webhook-secret': secret },
          body: JSON.stringify({ workflow: settings.inbound.workflow, uid: `${runId}-inbound`, smoke: runId }),
        }),
        202,
      );
      const runRef = expectString(what, accepted, 'runRef');
      await runStarted(context, runRef);
      return '202 runRef; GET /inbound/runs/{ref} STARTED';
    },
  },
  {
    name: 'inbound-batch',
    style: 'inbound',
    run: async (context) => {
      const { settings, runId } = context;
      const secret = inboundSecret(settings);
      const what = 'POST /inbound (batch of 3)';
      const batch = [0, 1, 2].map((i) => ({ uid: `${runId}-batch-${i}`, runtimeData: { smoke: runId, item: i } }));
      const accepted = expectStatus(
        what,
        await sendApi(anonymous(settings), 'POST', 'inbound', {
          admin: false,
          headers: { 'inbound-webhook-secret': secret },
          body: JSON.stringify({ workflow: settings.inbound.workflow, batch }),
        }),
        202,
      );
      const items = Array.isArray(accepted.batch) ? accepted.batch.map(asObject) : [];
      if (items.length !== batch.length) throw new CheckFailed(`${what}: 202 with ${items.length} entries, not 3`);
      for (const item of items) {
        if (item.status !== 'QUEUED')
          throw new CheckFailed(`${what}: item ${String(item.index)} is ${String(item.status)}`);
      }
      await Promise.all(items.map((item) => runStarted(context, expectString(what, item, 'runRef'))));
      return '202 with 3 QUEUED items; each GET /inbound/runs/{ref} STARTED';
    },
  },
  {
    name: 'registered-webhook',
    style: 'registered-webhooks',
    run: async (context) => {
      const { settings, runId } = context;
      required(settings.webhooks.apiKey, 'admin API key: pass --api-key or set HOOKFLOW_API_KEY');
      const api = admin(settings);
      const created = expectStatus('POST /api/webhooks', await sendApi(api, 'POST', 'api/webhooks'), 201);
      const id = expectString('POST /api/webhooks', created, 'id');
      const secret = expectString('POST /api/webhooks', created, 'verifySecret');
      context.hide(secret);
      context.cleanup(`delete webhook ${id}`, async () => {
        const deleted = await sendApi(api, 'DELETE', path('api', 'webhooks', id));
        expectStatus(`DELETE /api/webhooks/${id}`, deleted, 204);
        const gone = await sendApi(api, 'GET', path('api', 'webhooks', id));
        expectStatus(`GET /api/webhooks/${id} after the delete`, gone, 404);
        return 'DELETE 204, then GET 404';
      });
      const template = settings.webhooks.template;
      const binding = path('api', 'webhooks', id, 'workflows', template);
      expectStatus(`PUT /api/webhooks/{id}/workflows/${template}`, await sendApi(api, 'PUT', binding), 201);
      context.cleanup(`unbind ${template} from webhook ${id}`, async () => {
        expectStatus(`DELETE /api/webhooks/{id}/workflows/${template}`, await sendApi(api, 'DELETE', binding), 204);
        return 'DELETE 204';
      });
      const body = JSON.stringify({ smoke: runId });
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      const what = 'POST /api/trigger-webhooks/{id}';
      const triggered = await sendApi(api, 'POST', path('api', 'trigger-webhooks', id), {
        admin: false,
        headers: { 'x-verify-signature': signature },
        body,
      });
      expectStatus(what, triggered, 200);
      const processes = Array.isArray(triggered.body) ? triggered.body.map(asObject) : [];
      if (processes.length !== 1) throw new CheckFailed(`${what}: 200 with ${processes.length} processes, not 1`);
      const processId = expectString(what, processes[0]!, 'id');
      const finished = await waitFor<Json>(context, `process ${processId} to finish`, async () => {
        const process = expectStatus(
          'GET /api/processes/{id}',
          await sendApi(api, 'GET', path('api', 'processes', processId)),
          200,
        );
        const status = String(process.status);
        return status === 'PENDING' || status === 'RUNNING' ? { last: status } : { done: process };
      });
      if (finished.status !== 'SUCCEEDED') {
        throw new CheckFailed(`process ${processId} ended ${String(finished.status)}: ${String(finished.error)}`);
      }
      const tasks = Array.isArray(finished.eventWorkflowTaskIds) ? finished.eventWorkflowTaskIds.length : 0;
      return `201 webhook, 201 binding, signed trigger 200, process SUCCEEDED after ${tasks} tasks`;
    },
  },
];

function clientWebhookPath(settings: SmokeSettings): string {
  const [client, name, ...rest] = settings.clientWebhook.path.split('/');
  if (client === undefined || name === undefined || rest.length > 0 || client === '' || name === '') {
    throw new CheckFailed(`--client-webhook must be <client>/<name>, not "${settings.clientWebhook.path}"`);
  }
  return path('webhook', client, name);
}

/** The webhook's key goes in the JSON body, as seed 2's senders put it (never in the URL: URLs get logged). */
const keyField = (settings: SmokeSettings) =>
  settings.clientWebhook.key === undefined ? {} : { key: settings.clientWebhook.key };

const inboundSecret = (settings: SmokeSettings) =>
  required(settings.inbound.secret, 'inbound secret: pass --inbound-secret or set HOOKFLOW_SMOKE_INBOUND_SECRET');

/** Polls GET /inbound/runs/{ref} until the item's run has STARTED. */
async function runStarted(context: CheckContext, runRef: string): Promise<void> {
  const secret = inboundSecret(context.settings);
  await waitFor(context, `run ${runRef} to start`, async () => {
    const response = await sendApi(anonymous(context.settings), 'GET', path('inbound', 'runs', runRef), {
      admin: false,
      headers: { 'inbound-webhook-secret': secret },
    });
    const status = String(expectStatus(`GET /inbound/runs/${runRef}`, response, 200).status);
    return status === 'STARTED' ? { done: true } : { last: status };
  });
}

/** A fresh id for one smoke run: short, URL- and uid-safe. */
export const newRunId = () => `smoke-${randomUUID().slice(0, 8)}`;
