import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type HttpResult, removeDataDir, request, startLocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

/**
 * Queue when busy (issue 19 item 6; docs/deliveries.md): a throttled engine keeps an inbound delivery of a workflow
 * that queues (`workflow name`, inbound's default), answers 202 `queued` with the delivery id, and the fan-out
 * worker starts it once the engine is free; the delivery then shows it started with its run. A workflow that
 * rejects (`alternative workflow`, `whenBusy: "reject"` in local/hookflow.local.json) still answers 503.
 *
 * The engine is busy for the first 3 starts (HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: ThrottlingException, as Step
 * Functions names it), then free; AWS_MAX_ATTEMPTS=1 spends no SDK retry on them, so each request meets one refusal.
 */
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const INBOUND = { 'inbound-webhook-secret': 'hf_local_inbound_secret', 'content-type': 'application/json' };
const DEV_KEY = 'hf_local_dev_key';

interface ShownDelivery {
  readonly outcome: string;
  readonly status: number;
  readonly runs: readonly { readonly executionArn?: string; readonly runRef?: string }[];
}

/**
 * The local stack of the describe block that calls it (its beforeAll and afterAll), its engine refusing the first
 * `throttledStarts` starts; the worker's busy backoff is 1 s.
 */
function busyStack(throttledStarts: number, env: Record<string, string> = {}) {
  const held: { stack?: Awaited<ReturnType<typeof startLocalStack>>; sfn?: SFNClient } = {};
  beforeAll(async () => {
    held.stack = await startLocalStack({
      env: {
        HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: String(throttledStarts),
        AWS_MAX_ATTEMPTS: '1',
        FANOUT_BUSY_BACKOFF_SECONDS: '1',
        ...env,
      },
    });
    held.sfn = new SFNClient({ endpoint: held.stack.sfnEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    held.sfn?.destroy();
    await held.stack?.stop();
    if (held.stack !== undefined) removeDataDir(held.stack.dataDir);
  });
  return {
    get url() {
      return held.stack!.url;
    },
    runs: async (machine: string) =>
      (await held.sfn!.send(new ListExecutionsCommand({ stateMachineArn: arn(machine), maxResults: 1000 })))
        .executions ?? [],
  };
}

async function shownDelivery(url: string, id: string): Promise<ShownDelivery | undefined> {
  const answer = await request(`${url}/api/deliveries/${id}`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
  return answer.status === 200 ? (answer.body as { delivery: ShownDelivery }).delivery : undefined;
}

/** The delivery once it no longer says `queued` (the worker started it), or as it is after 30 s. */
async function settledDelivery(url: string, id: string): Promise<ShownDelivery | undefined> {
  const deadline = Date.now() + 30_000;
  let delivery = await shownDelivery(url, id);
  while (delivery?.outcome === 'queued' && Date.now() < deadline) {
    await sleep(250);
    delivery = await shownDelivery(url, id);
  }
  return delivery;
}

describe('queue when busy (issue 19 item 6): a busy engine keeps the delivery and starts it once it is free', () => {
  const stack = busyStack(3);
  const { runs } = stack;
  const inbound = (body: unknown) =>
    request(`${stack.url}/inbound`, { method: 'POST', headers: INBOUND, body: JSON.stringify(body) });
  const shown = (id: string) => shownDelivery(stack.url, id);
  const settled = (id: string) => settledDelivery(stack.url, id);

  it('throttled: reject answers 503; queue answers 202 queued, then runs each delivery once (a keyed resend meanwhile included), shown started with its run', async () => {
    // Arrange / Act: three requests while the engine refuses, then a keyed resend once it is free
    const rejected = await inbound({ workflow: 'alternative workflow', uid: 'busy-reject' });
    const unkeyed = await inbound({ workflow: 'workflow name', stateValues: { n: 1 } });
    const keyed = await inbound({ workflow: 'workflow name', uid: 'busy-keyed', stateValues: { n: 2 } });
    const resent: HttpResult = await inbound({ workflow: 'workflow name', uid: 'busy-keyed', stateValues: { n: 2 } });
    const unkeyedId = String((unkeyed.body as { deliveryId: string }).deliveryId);
    const keyedId = String((keyed.body as { deliveryId: string }).deliveryId);
    const [unkeyedShown, keyedShown] = [await settled(unkeyedId), await settled(keyedId)];
    const rejectedShown = await shown(String(rejected.headers.get('hookflow-delivery-id')));
    // Long enough for a second start of either to have shown up, were there one (the worker polls every 100 ms).
    await sleep(2_000);
    const echoRuns = await runs('hookflow-inbound-echo');

    // Assert
    expect(rejected.status).toBe(503);
    expect(rejected.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(rejectedShown).toMatchObject({ outcome: 'failed', status: 503 });
    expect(await runs('hookflow-inbound-echo-standard')).toHaveLength(0);
    for (const [answer, id] of [
      [unkeyed, unkeyedId],
      [keyed, keyedId],
    ] as const) {
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({
        deliveryId: expect.stringMatching(/^dlv_/),
        status: 'queued',
        deliveryLink: `${stack.url}/api/deliveries/${id}`,
      });
      expect(answer.headers.get('hookflow-delivery-id')).toBe(id);
    }
    expect(keyed.body).toMatchObject({ uid: 'busy-keyed', runRef: expect.stringMatching(/^u_/) });
    expect(resent.status).toBe(202);
    expect(unkeyedShown).toMatchObject({ outcome: 'started', status: 202 });
    expect(keyedShown).toMatchObject({ outcome: 'started', status: 202 });
    const unkeyedRun = unkeyedShown!.runs[0]!.executionArn;
    const keyedRun = keyedShown!.runs[0]!.executionArn;
    expect(keyedRun).toBe((resent.body as { executionId: string }).executionId);
    expect(echoRuns.map((run) => run.executionArn).sort()).toEqual([unkeyedRun, keyedRun].sort());
  });
});

/**
 * Registered webhooks: a webhook queues by default (third parties post to it). Its two bound workflows' starts are
 * refused (the first 2 starts), the trigger answers 202 with both processes `queued`, a sender's keyed retry
 * meanwhile starts them under the same process ids, and the fan-out worker's queued starts ask for the same names:
 * one run per bound workflow, and the delivery shows `started` with both.
 */
describe('queue when busy, registered webhooks: the processes answered 202 are the runs that start', () => {
  const stack = busyStack(2);
  const { runs } = stack;
  const ADMIN = { 'x-api-key': 'hf_local_acme_admin_key', 'x-api-org': 'acme' };

  it('throttled: 202 with both processes queued; a keyed retry and the queued starts make one run per workflow; the delivery reads started', async () => {
    // Arrange: a webhook (whenBusy: queue, the default) bound to two workflows
    const created = await request(`${stack.url}/api/webhooks`, { method: 'POST', headers: ADMIN });
    const hook = created.body as { id: string; verifySecret: string; whenBusy: string };
    for (const template of ['notify', 'audit']) {
      await request(`${stack.url}/api/webhooks/${hook.id}/workflows/${template}`, { method: 'PUT', headers: ADMIN });
    }
    const fire = () =>
      request(`${stack.url}/api/trigger-webhooks/${hook.id}`, {
        method: 'POST',
        headers: { 'x-verify-signature': hook.verifySecret, 'idempotency-key': 'busy-order-7' },
        body: '{"order":7}',
      });

    const processStatus = async (processId: string) =>
      (await request(`${stack.url}/api/processes/${processId}`, { headers: ADMIN })).body as {
        status: string;
        queued?: boolean;
      };

    // Act: the first trigger meets the busy engine; its status is read while queued (the worker's first try waits
    // Retry-After); its retry comes once the engine is free, before the worker's turn
    const queued = await fire();
    const whileQueued = await Promise.all(
      (queued.body as { id: string }[]).map(async (p) => await processStatus(p.id)),
    );
    const retried = await fire();
    const id = String(queued.headers.get('hookflow-delivery-id'));
    const delivery = await settledDelivery(stack.url, id);
    await sleep(2_000); // long enough for a second run of either to have shown up, were there one
    const [notify, audit] = [await runs('hookflow-webhook-notify'), await runs('hookflow-webhook-audit')];
    const onceStarted = await Promise.all(
      (queued.body as { id: string }[]).map(async (p) => await processStatus(p.id)),
    );

    // Assert
    const processes = queued.body as { id: string; executionArn: string; queued?: boolean }[];
    expect(hook.whenBusy).toBe('queue');
    expect(queued.status).toBe(202);
    expect(processes).toHaveLength(2);
    for (const process of processes) expect(process.queued).toBe(true);
    // queued: PENDING marked queued (the record says so, so past 5 minutes too: unit-tested with a clock)
    expect(whileQueued).toHaveLength(2);
    for (const shown of whileQueued) expect(shown).toMatchObject({ status: 'PENDING', queued: true });
    // started: the run's own status, no longer queued
    for (const shown of onceStarted) {
      expect(['RUNNING', 'SUCCEEDED']).toContain(shown.status);
      expect(shown.queued).toBeUndefined();
    }
    expect(retried.status).toBe(200);
    expect((retried.body as { id: string }[]).map((p) => p.id).sort()).toEqual(processes.map((p) => p.id).sort());
    expect(delivery).toMatchObject({ outcome: 'started', status: 202 });
    expect(delivery!.runs.map((r) => r.executionArn).sort()).toEqual(processes.map((p) => p.executionArn).sort());
    expect([...notify, ...audit].map((run) => run.executionArn).sort()).toEqual(
      processes.map((p) => p.executionArn).sort(),
    );
  });
});

/**
 * Event workflows (`POST /api/v2/webhook?ref=`, `order-echo`) and client webhooks with `?async` (`myclient/open`),
 * both Express and whenBusy queue by default, and the flow `hello-queued` (Express, `whenBusy: "queue"`: flows reject
 * by default): the queued 202 names its run at once (`runRef`, `executionName`). The
 * first 2 starts are refused: an unkeyed request (named by its delivery) and a keyed one (its claim kept). The
 * sender's keyed retry after the claim's lease (2 s here) and the worker's queued start converge on the claim: one run
 * each, under the name each 202 gave.
 */
describe.each([
  {
    style: 'event workflows',
    path: '/api/v2/webhook?ref=order-echo',
    field: 'runRef',
    machine: 'hookflow-event-echo',
    queued: { status: 'queued', workflow: 'order-echo' },
  },
  {
    style: 'client webhooks (?async)',
    path: '/webhook/myclient/open?async',
    field: 'executionName',
    machine: 'hookflow-echo',
    queued: { status: 'QUEUED' },
  },
  {
    style: 'flows (whenBusy: queue)',
    path: '/flows/hello-queued/trigger',
    field: 'executionName',
    machine: 'hookflow-echo',
    queued: { status: 'queued' },
    headers: { authorization: `Bearer ${DEV_KEY}` },
  },
])('queue when busy, $style: the $field of a queued 202 is the run that starts', (row) => {
  const { path, field, machine, queued } = row;
  const stack = busyStack(2, { DEDUPE_LEASE_SECONDS: '2' });
  const { runs } = stack;
  const fire = (key?: string) =>
    request(`${stack.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...row.headers,
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: '{"order":7}',
    });
  /** The run a 202 names: its `field`, or (a started flow's 202 gives only its executionLink) the name in its ARN. */
  const nameOf = (answer: HttpResult) => {
    const body = answer.body as Record<string, unknown>;
    return String(body[field] ?? /:(hf-[^:/?&]+)/.exec(decodeURIComponent(String(body.executionLink)))?.[1]);
  };

  it('throttled: 202 queued naming the run; a keyed retry after the lease and the queued start make one run; the unkeyed delivery reads started', async () => {
    // Act
    const unkeyed = await fire();
    const keyed = await fire(`busy-${field}-7`);
    await sleep(2_500); // past the kept claim's lease
    const retried = await fire(`busy-${field}-7`);
    const delivery = await settledDelivery(stack.url, String((unkeyed.body as { deliveryId: string }).deliveryId));
    await sleep(3_000); // long enough for the worker's keyed start, and a second run of either, were there one
    const names = (await runs(machine)).map((run) => run.name).sort();

    // Assert
    for (const answer of [unkeyed, keyed]) {
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ ...queued, deliveryId: expect.stringMatching(/^dlv_/) });
      expect(nameOf(answer)).toMatch(/^hf-/);
    }
    expect(retried.status).toBe(202);
    expect(nameOf(retried)).toBe(nameOf(keyed));
    expect(delivery).toMatchObject({ outcome: 'started', status: 202 });
    expect(names).toEqual([nameOf(unkeyed), nameOf(keyed)].sort());
  });
});

/**
 * The same styles registered with `whenBusy: "reject"` (`order-echo-reject`, by ref and as the one subscriber of
 * `com.example.order.refunded`; `myclient/open-reject`, in local/hookflow.local.json): a keyed request (an
 * Idempotency-Key; a CloudEvent's source + id) the engine refuses answers 503 with Retry-After and releases its
 * claim (one DeleteItem), so the sender's retry claims afresh and starts the one run.
 */
/** A structured CloudEvent whose only subscriber is `order-echo-reject`: its claim is the event's source + id. */
const refunded = (id: string) =>
  JSON.stringify({ specversion: '1.0', id, source: '/shop', type: 'com.example.order.refunded', data: { order: 8 } });

describe.each([
  { style: 'event workflows', path: '/api/v2/webhook?ref=order-echo-reject', machine: 'hookflow-event-echo' },
  { style: 'client webhooks (?async)', path: '/webhook/myclient/open-reject?async', machine: 'hookflow-echo' },
  { style: 'CloudEvents intake', path: '/api/v2/event', machine: 'hookflow-event-echo', cloudEvent: true },
])('whenBusy reject, $style: a refused keyed start releases its claim', ({ path, machine, cloudEvent }) => {
  const stack = busyStack(1);
  const fire = (key: string) =>
    request(`${stack.url}${path}`, {
      method: 'POST',
      headers:
        cloudEvent === true
          ? { 'content-type': 'application/cloudevents+json' }
          : { 'content-type': 'application/json', 'idempotency-key': key },
      body: cloudEvent === true ? refunded(key) : '{"order":8}',
    });

  it('throttled: 503 with Retry-After, recorded failed; the retry with the same key starts exactly one run', async () => {
    // Act
    const refused = await fire('reject-busy-8');
    const refusedShown = await shownDelivery(stack.url, String(refused.headers.get('hookflow-delivery-id')));
    const retried = await fire('reject-busy-8');
    const again = await fire('reject-busy-8');
    await sleep(2_000); // long enough for a second run, were there one
    const runs = await stack.runs(machine);

    // Assert
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refusedShown).toMatchObject({ outcome: 'failed', status: 503 });
    expect(retried.status).toBe(202);
    expect(again.status).toBe(202);
    expect(runs).toHaveLength(1);
  });
});

/**
 * CloudEvents intake (POST /api/v2/event): a structured CloudEvent of type `com.example.order.created`, subscribed by
 * `order-echo` (whenBusy queue, event workflows' default), sent while the engine refuses its first start. Its start
 * keeps the event's claim (source + id, per subscriber) and is queued: 202 listing it queued with its runRef; the
 * fan-out worker starts that run. The same event resent (same ce id) starts nothing more.
 */
describe('queue when busy, CloudEvents intake: a queued start is the run that starts, once', () => {
  const stack = busyStack(1, { DEDUPE_LEASE_SECONDS: '2' });
  const send = () =>
    request(`${stack.url}/api/v2/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'busy-order-9',
        source: '/shop',
        type: 'com.example.order.created',
        data: { order: 9 },
      }),
    });

  it('throttled: 202 with the start queued and its runRef; that run starts, the delivery reads started; a resend starts nothing more', async () => {
    // Act
    const queued = await send();
    const delivery = await settledDelivery(stack.url, String((queued.body as { deliveryId: string }).deliveryId));
    await sleep(2_500); // past the kept claim's lease: a resend meets the claim the queued start took over
    const resent = await send();
    await sleep(2_000); // long enough for a second run, were there one
    const names = (await stack.runs('hookflow-event-echo')).map((run) => run.name);

    // Assert
    const answered = queued.body as {
      deliveryId: string;
      events: { started: unknown[]; queued: { workflow: string; runRef: string }[] }[];
    };
    expect(queued.status).toBe(202);
    expect(answered).toMatchObject({
      deliveryId: expect.stringMatching(/^dlv_/),
      events: [
        {
          id: 'busy-order-9',
          started: [],
          queued: [{ workflow: 'order-echo', runRef: expect.stringMatching(/^hf-/) }],
        },
      ],
    });
    const runRef = answered.events[0]!.queued[0]!.runRef;
    expect(delivery).toMatchObject({ outcome: 'started', status: 202 });
    expect(resent.status).toBe(202);
    expect(resent.body).toMatchObject({ events: [{ started: [{ runRef, replayed: true }] }] });
    expect(names).toEqual([runRef]);
  });
});

/**
 * CloudEvents intake, one event and two subscribers (`com.example.order.packed`: `order-echo` and `order-packed`,
 * both queueing), the engine refusing its first start: one subscriber's run starts at once, the other's is queued.
 * The delivery, once the worker has started the queued one, lists both runs, each once, with its ARN.
 */
describe('queue when busy, CloudEvents intake: a delivery with a started and a queued start lists both runs', () => {
  // The queued start takes over the claim the refused start kept once its lease has run out: 2 s here.
  const stack = busyStack(1, { DEDUPE_LEASE_SECONDS: '2' });

  it('throttled: 202 with one start started and one queued; the delivery ends started, listing both runs once', async () => {
    // Act
    const accepted = await request(`${stack.url}/api/v2/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'busy-packed-1',
        source: '/shop',
        type: 'com.example.order.packed',
        data: { order: 11 },
      }),
    });
    const answered = accepted.body as {
      deliveryId: string;
      events: { started: { workflow: string; runRef: string }[]; queued: { workflow: string; runRef: string }[] }[];
    };
    const delivery = await settledDelivery(stack.url, answered.deliveryId);
    const names = (await stack.runs('hookflow-event-echo')).map((run) => run.name!);

    // Assert
    expect(accepted.status).toBe(202);
    const [event] = answered.events;
    expect(event!.started).toHaveLength(1);
    expect(event!.queued).toHaveLength(1);
    expect([event!.started[0]!.workflow, event!.queued[0]!.workflow].sort()).toEqual(['order-echo', 'order-packed']);
    const runRefs = [event!.started[0]!.runRef, event!.queued[0]!.runRef].sort();
    expect(names.sort()).toEqual(runRefs);
    expect(delivery).toMatchObject({ outcome: 'started', status: 202 });
    expect(delivery!.runs).toHaveLength(2);
    expect(delivery!.runs.map((run) => run.executionArn!.split(':')[7]).sort()).toEqual(runRefs);
  });
});
