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

describe('queue when busy (issue 19 item 6): a busy engine keeps the delivery and starts it once it is free', () => {
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  let sfn: SFNClient;
  const runs = async (machine: string) =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn(machine), maxResults: 1000 }))).executions ?? [];
  const inbound = (body: unknown) =>
    request(`${stack.url}/inbound`, { method: 'POST', headers: INBOUND, body: JSON.stringify(body) });
  const shown = async (id: string): Promise<ShownDelivery | undefined> => {
    const answer = await request(`${stack.url}/api/deliveries/${id}`, {
      headers: { authorization: `Bearer ${DEV_KEY}` },
    });
    return answer.status === 200 ? (answer.body as { delivery: ShownDelivery }).delivery : undefined;
  };
  /** The delivery once it no longer says `queued` (the worker started it), or as it is after 30 s. */
  const settled = async (id: string) => {
    const deadline = Date.now() + 30_000;
    let delivery = await shown(id);
    while (delivery?.outcome === 'queued' && Date.now() < deadline) {
      await sleep(250);
      delivery = await shown(id);
    }
    return delivery;
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      env: { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '3', AWS_MAX_ATTEMPTS: '1', FANOUT_BUSY_BACKOFF_SECONDS: '1' },
    });
    sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

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
