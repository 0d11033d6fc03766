import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { REDACTED } from '../../../functions/core/deliveries/record';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { makeFlowTriggerHandler } from '../../../functions/styles/flow-trigger/http';
import { CREDENTIAL_HEADERS } from '../../../functions/http/request';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { silentLogger } from '../../support/fakes';
import { MAX_BULK_REPLAY } from '../../../functions/core/deliveries/replay';
import { compositeKey } from '../../../functions/core/keys';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { EXPIRED_GUARD_NOTE, EXPRESS_STATUS_NOTE } from '../../../functions/styles/deliveries/show-delivery';
import { STEP_FUNCTIONS_MAX_INPUT_BYTES, makeClaimCheck } from '../../../functions/core/runs/claim-check';
import { type HookflowBodyReference, isHookflowBodyReference } from '../../../functions/core/runs/body-reference';
import { InMemoryBodyStore } from '../../support/in-memory-body-store';
import { ACME, ALL, HELLO, NOW, SM, TRIGGER_ONLY, idAt, recordOf, setup } from '../../support/deliveries-api';

/** Registered webhook `wh1` of organisation acme, bound to `templates`. */
async function addWebhook(t: ReturnType<typeof setup>, templates: readonly string[]): Promise<void> {
  await t.webhooks.create({
    id: 'wh1',
    orgId: 'acme',
    createdOn: '2026-12-01T00:00:00Z',
    updatedOn: '2026-12-01T00:00:00Z',
    createdById: 'u',
    updatedById: 'u',
    secrets: { current: 's'.repeat(32) },
    verifier: { verifier: { kind: 'shared-secret', header: 'x-verify-signature' } },
  });
  for (const template of templates) {
    await t.webhooks.bind({
      webhookId: 'wh1',
      eventWorkflowTemplateId: template,
      orgId: 'acme',
      createdOn: '2026-12-01T00:00:00Z',
      createdById: 'u',
    });
  }
}

describe('the deliveries API: access', () => {
  it('answers 401 without a key and 403 for a key without the deliveries scope (a key stored before scopes)', async () => {
    const t = setup();

    const anonymous = await t.call('GET /api/deliveries', { key: null });
    const legacy = await t.list('', TRIGGER_ONLY);

    expect(anonymous.status).toBe(401);
    expect(legacy).toEqual({ status: 403, body: { error: 'this API key lacks the "deliveries" scope' } });
  });

  it("answers another tenant's delivery 404, word for word like an unknown id, on every route", async () => {
    // Arrange: an orders delivery (a flow the HELLO key does not name) and an id nobody has
    const t = setup();
    const [orders] = await t.add(recordOf({ registration: 'orders', path: '/flows/orders/trigger' }));
    const unknown = idAt(NOW - 60_000);
    const notFound = (id: string) => ({ status: 404, body: { error: `delivery "${id}" not found` } });

    // Act
    const seen = await t.show(orders!.id, HELLO);
    const replayed = await t.replay(orders!.id, {}, HELLO);
    const absent = await t.show(unknown, HELLO);

    // Assert
    expect(seen).toEqual(notFound(orders!.id));
    expect(replayed).toEqual(notFound(orders!.id));
    expect(absent).toEqual(notFound(unknown));
    expect(t.engine.started).toHaveLength(0);
  });

  it('lists only what the key reaches: its flows, its organisations, never another style', async () => {
    const t = setup();
    const [hello, , acme] = await t.add(
      recordOf({ at: NOW - 50_000 }),
      recordOf({ at: NOW - 40_000, registration: 'orders' }),
      recordOf({ at: NOW - 30_000, style: 'registered-webhooks', registration: 'wh1', org: 'acme' }),
      recordOf({ at: NOW - 20_000, style: 'registered-webhooks', registration: 'wh2', org: 'globex' }),
      recordOf({ at: NOW - 10_000, style: 'inbound', registration: 'wf-1' }),
    );

    const ids = async (key: string) => ((await t.list('', key)).body.deliveries as { id: string }[]).map((d) => d.id);

    expect(await ids(HELLO)).toEqual([hello!.id]);
    expect(await ids(ACME)).toEqual([acme!.id]);
    expect(await ids(ALL)).toHaveLength(5);
  });
});

describe('GET /api/deliveries', () => {
  it('finds a delivery by time range and correlation id, newest first, paged with next', async () => {
    const t = setup();
    const at1002 = Date.parse('2026-12-05T10:02:03Z');
    const [stripe] = await t.add(
      recordOf({ at: at1002, correlationId: 'evt_1QbX' }),
      recordOf({ at: at1002 + 1_000, correlationId: 'evt_other' }),
      recordOf({ at: Date.parse('2026-12-05T09:00:00Z'), correlationId: 'evt_1QbX' }),
    );

    const found = await t.list('correlationId=evt_1QbX&from=2026-12-05T10:00:00Z&to=2026-12-05T10:05:00Z');
    const first = await t.list('from=2026-12-05T08:00:00Z&limit=2');
    const second = await t.list(`from=2026-12-05T08:00:00Z&limit=2&cursor=${first.body.next}`);

    expect(found.status).toBe(200);
    expect(found.body).toEqual({
      deliveries: [expect.objectContaining({ id: stripe!.id, correlationId: 'evt_1QbX', bodyBytes: 12 })],
      from: '2026-12-05T10:00:00.000Z',
      to: '2026-12-05T10:05:00.000Z',
    });
    expect(found.body.deliveries[0]).not.toHaveProperty('headers');
    expect(first.body.deliveries).toHaveLength(2);
    expect(second.body.deliveries).toHaveLength(1);
    expect(second.body.next).toBeUndefined();
  });

  it('answers a bad query 400 naming the parameter', async () => {
    const t = setup();

    expect(await t.list('style=a&style=b')).toEqual({
      status: 400,
      body: { error: 'parameter "style" is given more than once' },
    });
    expect((await t.list('limit=1000')).status).toBe(400);
    expect((await t.list('cursor=nope')).body.error).toContain('cursor "nope" is malformed');
  });
});

describe('GET /api/deliveries/{id}', () => {
  it('shows headers, the body as text, and each run with its status read now', async () => {
    // Arrange: a Standard run that has ended, an Express run, an inbound item not started yet
    const t = setup();
    const started = await t.engine.start({
      stateMachineArn: SM('orders'),
      workflowType: 'STANDARD',
      name: 'hf-1',
      input: {},
    });
    const express = 'arn:aws:states:us-east-1:000000000000:express:hello:hf-2:uuid';
    const [record] = await t.add(
      recordOf({
        outcome: 'started',
        status: 202,
        runs: [{ executionArn: started.executionArn }, { executionArn: express }, { runRef: 'u_aXRlbS0x' }],
      }),
    );

    const { status, body } = await t.show(record!.id);

    expect(status).toBe(200);
    expect(body.delivery.headers).toEqual({ 'content-type': 'application/json', authorization: REDACTED });
    expect(body.delivery.body).toEqual({
      bytes: 12,
      sha256: record!.body.sha256,
      kept: true,
      encoding: 'utf8',
      text: '{"order":42}',
    });
    expect(body.delivery.runs).toEqual([
      {
        executionArn: started.executionArn,
        executionLink: `https://console.example/${started.executionArn}`,
        status: 'SUCCEEDED',
      },
      {
        executionArn: express,
        executionLink: `https://console.example/${express}`,
        status: 'UNKNOWN',
        statusNote: EXPRESS_STATUS_NOTE,
      },
      { runRef: 'u_aXRlbS0x', status: 'PENDING' },
    ]);
  });

  it('shows a record a guarded claim carries as the claim wrote it until its run reaches the guard, then with that run, listed and replayed alike', async () => {
    // Arrange: the record names the run guard's item, as a guarded Express claim writes it (no run written after)
    const t = setup();
    // Its dedupe window (the name's expiry field) has not ended at NOW: a missing guard item is a run not begun yet
    const name = `hf-${Math.floor(NOW / 1000) + 60}-abc`;
    const guard = `run#${SM('hello')}#${name}`;
    const express = `arn:aws:states:us-east-1:000000000000:express:hello:${name}:1`;
    const [record] = await t.add(recordOf({ outcome: 'started', status: 202, runs: [{ runGuard: guard }] }));
    const view = async () => ({
      shown: (await t.show(record!.id)).body.delivery.runs,
      listed: (await t.list()).body.deliveries.find((d: { id: string }) => d.id === record!.id).runs,
      replayed: (await t.replay(record!.id)).body,
    });

    // Act
    const before = await view();
    t.dedupe.guardRuns.set(guard, { executionArn: express, startDate: new Date(NOW).toISOString() });
    const after = await view();

    // Assert: no run before (as before the second write landed), the run after; if-no-run starts nothing either way
    expect(before.shown).toEqual([]);
    expect(before.listed).toEqual([]);
    expect(before.replayed).toMatchObject({ outcome: 'skipped', reason: 'the original started its run' });
    expect(after.shown).toEqual([
      {
        executionArn: express,
        executionLink: `https://console.example/${express}`,
        status: 'UNKNOWN',
        statusNote: EXPRESS_STATUS_NOTE,
      },
    ]);
    expect(after.listed).toEqual([{ executionArn: express }]);
    expect(after.replayed).toMatchObject({ outcome: 'skipped', reason: `the original started ${express}` });
    expect(t.engine.started).toHaveLength(0);
  });

  it("shows a guarded record's run by its execution name once its guard item expired with the window, and if-no-run starts nothing", async () => {
    // Arrange: the claim's window (the name's expiry field) ended before NOW, and DynamoDB's TTL took the guard's item
    const t = setup();
    const name = `hf-${Math.floor(NOW / 1000) - 3_600}-abc`;
    const [record] = await t.add(
      recordOf({ outcome: 'started', status: 202, runs: [{ runGuard: `run#${SM('hello')}#${name}` }] }),
    );

    // Act
    const shown = (await t.show(record!.id)).body.delivery.runs;
    const listed = (await t.list()).body.deliveries.find((d: { id: string }) => d.id === record!.id).runs;
    const replayed = (await t.replay(record!.id)).body;

    // Assert: the name, no ARN and so no link, and a note saying why; the run it had is never started again
    expect(shown).toEqual([{ executionName: name, status: 'UNKNOWN', statusNote: EXPIRED_GUARD_NOTE }]);
    expect(listed).toEqual([{ executionName: name }]);
    expect(replayed).toMatchObject({ outcome: 'skipped', reason: `the original started ${name}` });
    expect(t.engine.started).toHaveLength(0);
  });

  it('gives a body that is not UTF-8 as base64, and says when a body is no longer kept', async () => {
    const t = setup();
    const binary = recordOf({ at: NOW - 2_000 });
    const bytes = Buffer.from([0xff, 0xfe, 0x00]);
    const [b, gone] = await t.add(
      { ...binary, body: { ...binary.body, bytes: 3, inline: bytes.toString('base64') } },
      { ...recordOf({ at: NOW - 1_000 }), body: { bytes: 9, sha256: 'x', s3: { bucket: 'b', key: 'k' } } },
    );

    expect((await t.show(b!.id)).body.delivery.body).toMatchObject({ encoding: 'base64', base64: '//4A' });
    expect((await t.show(gone!.id)).body.delivery.body).toEqual({ bytes: 9, sha256: 'x', kept: false });
  });
});

describe('POST /api/deliveries/{id}/replay', () => {
  it('if-no-run starts a delivery that started nothing, marked replayOf, and records the replay', async () => {
    const t = setup();
    const [failed] = await t.add(recordOf());

    const { status, body } = await t.replay(failed!.id);

    expect(status).toBe(202);
    expect(body).toMatchObject({ deliveryId: failed!.id, mode: 'if-no-run', dryRun: false, outcome: 'started' });
    expect(t.engine.started).toHaveLength(1);
    expect(t.engine.started[0]!.input).toEqual({
      payload: { order: 42 },
      trigger: { style: 'flow-trigger', flowId: 'hello', receivedAt: failed!.receivedAt },
      deliveryId: body.replay,
      replayOf: failed!.id,
    });
    expect(t.log.records.get(body.replay)).toMatchObject({
      replayOf: failed!.id,
      outcome: 'started',
      registration: 'hello',
      runs: [{ executionArn: body.runs[0].executionArn }],
    });
  });

  it("if-no-run twice starts one run: the second answers the first one's run, deduplicated", async () => {
    const t = setup();
    const [failed] = await t.add(recordOf());

    const first = await t.replay(failed!.id, { mode: 'if-no-run' });
    const second = await t.replay(failed!.id, { mode: 'if-no-run' });

    expect(t.engine.started).toHaveLength(1);
    expect(second.status).toBe(200);
    expect(second.body.outcome).toBe('deduplicated');
    expect(second.body.runs).toEqual(first.body.runs);
  });

  it('if-no-run replays sent at once start at most one run', async () => {
    const t = setup();
    const [failed] = await t.add(recordOf({ registration: 'orders', path: '/flows/orders/trigger' }));

    const answers = await Promise.all(Array.from({ length: 8 }, () => t.replay(failed!.id)));

    expect(t.engine.started).toHaveLength(1);
    expect(answers.filter((a) => a.body.outcome === 'started')).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.runs[0].executionArn)).size).toBe(1);
  });

  it('if-no-run of a replay claims the original: a delivery and its failed replays start one run', async () => {
    const t = setup();
    const [original] = await t.add(recordOf({ at: NOW - 60_000 }));
    const [failedReplay] = await t.add(recordOf({ at: NOW - 30_000, replayOf: original!.id }));

    await t.replay(failedReplay!.id);
    const again = await t.replay(original!.id);

    expect(t.engine.started).toHaveLength(1);
    expect(again.body.outcome).toBe('deduplicated');
  });

  it('skips a delivery that started a run; force starts a new one each time, marked replayOf', async () => {
    const t = setup();
    const [started] = await t.add(recordOf({ outcome: 'started', status: 202, runs: [{ executionArn: 'arn:x' }] }));

    const skipped = await t.replay(started!.id);
    const forced1 = await t.replay(started!.id, { mode: 'force' });
    const forced2 = await t.replay(started!.id, { mode: 'force' });

    expect(skipped).toEqual({
      status: 200,
      body: expect.objectContaining({ outcome: 'skipped', reason: 'the original started arn:x' }),
    });
    expect(forced1.body.outcome).toBe('started');
    expect(forced2.body.outcome).toBe('started');
    expect(t.engine.started).toHaveLength(2);
    expect(t.engine.started.map((s) => (s.input as { replayOf: string }).replayOf)).toEqual([started!.id, started!.id]);
  });

  it('a dry run says what would start, starts nothing and records nothing', async () => {
    const t = setup();
    const [failed] = await t.add(recordOf());

    const { status, body } = await t.replay(failed!.id, { dryRun: true });

    expect(status).toBe(200);
    expect(body).toEqual({ deliveryId: failed!.id, mode: 'if-no-run', dryRun: true, outcome: 'would-start' });
    expect(t.engine.started).toHaveLength(0);
    expect(t.log.records.size).toBe(1);
  });

  it('refuses a refused delivery 409, a body no longer kept 410, a registration gone 409, bad options 400', async () => {
    const t = setup();
    const [refused, gone, unpublished] = await t.add(
      recordOf({ at: NOW - 3_000, outcome: 'refused', status: 401, reason: 'invalid API key' }),
      { ...recordOf({ at: NOW - 2_000 }), body: { bytes: 9, sha256: 'x', s3: { bucket: 'b', key: 'k' } } },
      recordOf({ at: NOW - 1_000, registration: 'draft', path: '/flows/draft/trigger' }),
    );

    expect(await t.replay(refused!.id)).toEqual({
      status: 409,
      body: { error: `delivery "${refused!.id}" was refused (invalid API key): a refused request is not replayed` },
    });
    expect(await t.replay(gone!.id)).toEqual({
      status: 410,
      body: { error: `the body of delivery "${gone!.id}" is no longer kept` },
    });
    expect(await t.replay(unpublished!.id)).toEqual({
      status: 409,
      body: {
        error: `delivery "${unpublished!.id}" cannot be replayed: its registration (flow "draft", published) no longer exists`,
      },
    });
    expect((await t.replay(refused!.id, { mode: 'again' })).status).toBe(400);
    expect((await t.replay(refused!.id, { dryrun: true })).body.error).toContain('unknown field "dryrun"');
    expect(t.engine.started).toHaveLength(0);
  });

  it('a replay whose handler died after its claim (lease run out, no run) is taken over and started once', async () => {
    // Arrange: a replay claimed replay#<id> and crashed before StartExecution
    const t = setup();
    const [failed] = await t.add(recordOf());
    const key = compositeKey('replay', failed!.id);
    t.dedupe.records.set(key, {
      key,
      fingerprint: failed!.body.sha256,
      owner: 'crashed',
      createdAt: NOW - 120_000,
      leaseUntil: NOW - 90_000,
      expiresAt: Math.floor(NOW / 1000) + 86_400,
    });

    // Act
    const first = await t.replay(failed!.id);
    const second = await t.replay(failed!.id);

    // Assert
    expect(first.body.outcome).toBe('started');
    expect(second.body.outcome).toBe('deduplicated');
    expect(t.engine.started).toHaveLength(1);
  });

  it('answers 503 when the engine is busy, releases the claim, and a later replay starts it', async () => {
    const t = setup();
    const [failed] = await t.add(recordOf());
    t.engine.failWith = new EngineBusyError('throttled', { retryAfterSeconds: 2 });

    const busy = await t.replay(failed!.id);
    t.engine.failWith = undefined;
    const later = await t.replay(failed!.id);

    expect(busy.status).toBe(503);
    expect(later.body.outcome).toBe('started');
    expect(t.engine.started).toHaveLength(1);
  });

  it("replays an inbound batch item by item, each once, under each uid's own claim", async () => {
    const t = setup();
    const text = JSON.stringify({ workflow: 'inbound-echo', batch: [{ uid: 'a' }, { uid: 'b' }] });
    const [batch] = await t.add(recordOf({ style: 'inbound', registration: 'inbound-echo', path: '/inbound', text }));

    const first = await t.replay(batch!.id);
    const second = await t.replay(batch!.id);

    expect(first.body.outcome).toBe('started');
    expect(first.body.runs).toHaveLength(2);
    expect(second.body.outcome).toBe('deduplicated');
    expect(t.engine.started.map((s) => (s.input as { trigger: { uid: string } }).trigger.uid)).toEqual(['a', 'b']);
    // Each uid's own claim now names its run: the sender's resent batch (or a later replay) starts it no more
    expect(t.dedupe.records.get('inbound#uid#a')?.run?.executionArn).toBe(first.body.runs[0].executionArn);
    expect(t.dedupe.records.get('inbound#uid#b')?.run?.executionArn).toBe(first.body.runs[1].executionArn);
  });

  it("replays a registered webhook's trigger to every bound workflow", async () => {
    const t = setup();
    await addWebhook(t, ['notify']);
    const [trigger] = await t.add(
      recordOf({ style: 'registered-webhooks', registration: 'wh1', org: 'acme', path: '/api/trigger-webhooks/wh1' }),
    );

    const { status, body } = await t.replay(trigger!.id, {}, ACME);

    expect(status).toBe(202);
    expect(t.engine.started).toHaveLength(1);
    expect(t.engine.started[0]!.stateMachineArn).toBe(SM('notify'));
    expect(t.engine.started[0]!.input).toMatchObject({ body: { order: 42 }, replayOf: trigger!.id });
    expect(body.runs).toHaveLength(1);
  });
});

describe("POST /api/deliveries/{id}/replay and the sender's own retry", () => {
  it('an inbound uid started by the sender since is answered with that run by an if-no-run replay, not started again', async () => {
    // Arrange: the original failed; the sender's retry of the same uid started its run (the uid's claim names it)
    const t = setup();
    const text = JSON.stringify({ workflow: 'inbound-echo', uid: 'order-7' });
    const [failed] = await t.add(recordOf({ style: 'inbound', registration: 'inbound-echo', path: '/inbound', text }));
    t.dedupe.records.set('inbound#uid#order-7', {
      key: 'inbound#uid#order-7',
      fingerprint: 'inbound-uid',
      owner: 'sender-retry',
      createdAt: NOW - 1_000,
      leaseUntil: NOW + 29_000,
      expiresAt: Math.floor(NOW / 1000) + 86_400,
      run: { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:inbound-echo:retry', startDate: '' },
    });

    // Act
    const dry = await t.replay(failed!.id, { dryRun: true });
    const replayed = await t.replay(failed!.id);

    // Assert
    expect(dry.body).toMatchObject({
      outcome: 'skipped',
      reason:
        "already started since (by a replay or the sender's retry): arn:aws:states:us-east-1:000000000000:execution:inbound-echo:retry",
    });
    expect(replayed.body).toMatchObject({
      outcome: 'deduplicated',
      runs: [{ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:inbound-echo:retry' }],
    });
    expect(t.engine.started).toHaveLength(0);
  });
});

describe('POST /api/deliveries/replay (bulk)', () => {
  it(`dry-runs a page of at most MAX_BULK_REPLAY (${MAX_BULK_REPLAY}), starts it only with the matching expect, and continues with next`, async () => {
    // Arrange: more failed deliveries than one call takes, and one refused
    const t = setup();
    const count = MAX_BULK_REPLAY + 5;
    await t.add(...Array.from({ length: count }, (_, i) => recordOf({ at: NOW - 60_000 - i * 1_000 })));
    await t.add(recordOf({ at: NOW - 30_000, outcome: 'refused', status: 401, reason: 'bad signature' }));
    const filter = { from: '2026-12-05T10:00:00Z' };

    // Act
    const dry = await t.bulk({ filter, dryRun: true });
    const missing = await t.bulk({ filter: dry.body.filter });
    const changed = await t.bulk({ filter: dry.body.filter, expect: dry.body.wouldStart + 1 });
    const page1 = await t.bulk({ filter: dry.body.filter, expect: dry.body.wouldStart });
    const dry2 = await t.bulk({ filter: dry.body.filter, cursor: page1.body.next, dryRun: true });
    const page2 = await t.bulk({ filter: dry.body.filter, cursor: page1.body.next, expect: dry2.body.wouldStart });
    const again = await t.bulk({ filter: dry.body.filter, dryRun: true });

    // Assert
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      filter: { from: '2026-12-05T10:00:00.000Z', to: '2026-12-05T11:00:00.000Z' },
      matched: MAX_BULK_REPLAY,
      wouldStart: MAX_BULK_REPLAY - 1,
      next: expect.any(String),
    });
    expect(dry.body.deliveries).toContainEqual(
      expect.objectContaining({ outcome: 'skipped', reason: expect.stringContaining('was refused (bad signature)') }),
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('expect is required');
    expect(changed.status).toBe(409);
    expect(page1.body.started).toBe(MAX_BULK_REPLAY - 1);
    expect(page2.body.started).toBe(count - (MAX_BULK_REPLAY - 1));
    expect(page2.body.next).toBeUndefined();
    expect(t.engine.started).toHaveLength(count);
    // Replaying the same hour again starts nothing: every original is already replayed, every replay has its run
    expect(again.body.wouldStart).toBe(0);
  });
});

describe('POST /api/deliveries/{id}/replay of a delivery whose run input was claim-checked', () => {
  /** A delivery whose body (over Step Functions' 256 KiB) the record keeps in the body store, as the recorder does. */
  async function largeDelivery(t: ReturnType<typeof setup>, store: InMemoryBodyStore, overrides = {}, bytes = 300_000) {
    const text = JSON.stringify({ filler: 'é'.repeat(Math.floor(bytes / 2)) });
    const base = recordOf({ text, ...overrides });
    const raw = Buffer.from(text, 'utf8');
    const s3 = await store.put(base.id, raw);
    const [record] = await t.add({ ...base, body: { bytes: raw.length, sha256: base.body.sha256, s3 } });
    return { record: record!, raw };
  }
  const claimChecked = () => {
    const store = new InMemoryBodyStore();
    const t = setup({ bodies: store, claimCheck: makeClaimCheck({ bodies: store, now: () => NOW }) });
    return { t, store };
  };
  const referenceOf = (value: unknown) => {
    expect(isHookflowBodyReference(value)).toBe(true);
    return (value as HookflowBodyReference).hookflowBody;
  };

  it('starts the run with a reference to a fresh object holding the body byte for byte, marked as a replay', async () => {
    // Arrange
    const { t, store } = claimChecked();
    const { record, raw } = await largeDelivery(t, store);
    const putsBefore = store.puts;

    // Act
    const { status, body } = await t.replay(record.id);

    // Assert: one PUT, a new object (not the record's), the reference where the payload goes
    expect(status).toBe(202);
    expect(store.puts).toBe(putsBefore + 1);
    const input = t.engine.started[0]!.input as Record<string, unknown>;
    expect(input).toMatchObject({
      trigger: { style: 'flow-trigger', flowId: 'hello', receivedAt: record.receivedAt },
      deliveryId: body.replay,
      replayOf: record.id,
    });
    const reference = referenceOf(input.payload);
    expect(reference.key).not.toBe(record.body.s3!.key);
    expect(reference).toMatchObject({ bytes: raw.length, sha256: record.body.sha256, contentType: 'application/json' });
    expect(store.objects.get(reference.key)!.equals(raw)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(STEP_FUNCTIONS_MAX_INPUT_BYTES);
  });

  it('claim-checks an input that fits only without the replay marks (deliveryId, replayOf): the limit counts them', async () => {
    // Arrange: a body whose original run input, without the marks, is a few bytes under the limit
    const { t, store } = claimChecked();
    const trigger = { style: 'flow-trigger', flowId: 'hello', receivedAt: recordOf().receivedAt };
    const overhead = Buffer.byteLength(JSON.stringify({ payload: { f: '' }, trigger }));
    const text = JSON.stringify({ f: 'a'.repeat(STEP_FUNCTIONS_MAX_INPUT_BYTES - overhead - 10) });
    const raw = Buffer.from(text);
    const base = recordOf({ text });
    await t.add({ ...base, body: { ...base.body, inline: undefined, s3: await store.put(base.id, raw) } });

    // Act
    const { status } = await t.replay(base.id, { mode: 'force' });

    // Assert
    expect(status).toBe(202);
    referenceOf((t.engine.started[0]!.input as { payload: unknown }).payload);
  });

  it('gives every workflow bound to a registered webhook one stored object, and its headers inline', async () => {
    // Arrange: two bound workflows
    const { t, store } = claimChecked();
    t.registry.addWebhookTemplate('acme', 'audit');
    await addWebhook(t, ['notify', 'audit']);
    const { record, raw } = await largeDelivery(t, store, {
      style: 'registered-webhooks',
      registration: 'wh1',
      org: 'acme',
      path: '/api/trigger-webhooks/wh1',
    });
    const putsBefore = store.puts;

    // Act
    const { status, body } = await t.replay(record.id, {}, ACME);

    // Assert
    expect(status).toBe(202);
    expect(body.runs).toHaveLength(2);
    expect(store.puts).toBe(putsBefore + 1);
    const [a, b] = t.engine.started.map((s) => s.input as { body: unknown; headers: Record<string, string> });
    expect(referenceOf(a!.body)).toEqual(referenceOf(b!.body));
    expect(store.objects.get(referenceOf(a!.body).key)!.equals(raw)).toBe(true);
    expect(a!.headers).toMatchObject({ 'content-type': 'application/json' });
  });

  it('stores nothing for a body that fits: the run gets it inline', async () => {
    const { t, store } = claimChecked();
    const { record, raw } = await largeDelivery(t, store, {}, 20_000);
    const putsBefore = store.puts;

    const { status } = await t.replay(record.id);

    expect(status).toBe(202);
    expect(store.puts).toBe(putsBefore);
    expect((t.engine.started[0]!.input as { payload: unknown }).payload).toEqual(JSON.parse(raw.toString('utf8')));
  });

  it('answers 503 and starts nothing, leaving no claim, while the body store cannot store; the next replay starts it', async () => {
    // Arrange: the store reads (the kept body) but cannot write, until it recovers
    const { t, store } = claimChecked();
    const { record } = await largeDelivery(t, store);
    let writesFail = true;
    const flaky = {
      get: store.get.bind(store),
      put: async (id: string, raw: Buffer) => {
        if (writesFail) throw new Error('SlowDown');
        return store.put(id, raw);
      },
    };
    const down = setup({ bodies: store, claimCheck: makeClaimCheck({ bodies: flaky, now: () => NOW }) });
    await down.add(record);

    // Act
    const busy = await down.replay(record.id);
    const claimsAfterBusy = down.dedupe.records.size;
    const dry = await down.replay(record.id, { dryRun: true });
    writesFail = false;
    const later = await down.replay(record.id);

    // Assert
    expect(busy.status).toBe(503);
    expect(busy.body.error).toMatch(/body store/);
    expect(claimsAfterBusy).toBe(0);
    expect(dry.body.outcome).toBe('would-start');
    expect(later.body.outcome).toBe('started');
    expect(down.engine.started).toHaveLength(1);
  });

  it('answers 413 without a body store to claim-check with, and 410 once the kept body has expired', async () => {
    // Arrange
    const store = new InMemoryBodyStore();
    const t = setup({ bodies: store });
    const { record } = await largeDelivery(t, store);
    const expired = {
      ...recordOf({ at: NOW - 5_000 }),
      body: { ...record.body, s3: { bucket: store.bucket, key: 'bodies/00/gone' } },
    };
    await t.add(expired);

    // Act
    const tooLarge = await t.replay(record.id);
    const gone = await t.replay(expired.id);

    // Assert
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error).toMatch(/no body store/);
    expect(gone).toEqual({ status: 410, body: { error: `the body of delivery "${expired.id}" is no longer kept` } });
    expect(t.engine.started).toHaveLength(0);
    expect(t.dedupe.records.size).toBe(0);
  });
});

describe("a flow trigger's Idempotency-Key: an if-no-run replay and the sender's retry start one run", () => {
  /** The deliveries API and the flow-trigger route on the same registry, engine, dedupe store and log. */
  function withRoute() {
    const t = setup();
    const startRun = makeRunStarter(
      { engine: t.engine, dedupe: t.dedupe, logger: silentLogger, now: () => NOW },
      { dedupeTtlSeconds: 60, dedupeWaitMs: 2_000, dedupeLeaseMs: 30_000, pollIntervalMs: 5 },
    );
    const route = makeFlowTriggerHandler({
      registry: t.registry,
      startRun,
      logger: silentLogger,
      maxBodyBytes: 4096,
      executionLink: executionLinker('https://console.example/{executionArn}'),
      now: () => NOW,
      recording: {
        deps: { log: t.log, credentialHeaders: CREDENTIAL_HEADERS },
        settings: { retentionDays: 7, inlineBodyBytes: 1024 },
        now: () => NOW,
      },
    });
    const send = async (key: string, idempotencyKey: string, body = '{"order":7}') => {
      const result = (await route(
        httpEvent({
          path: '/flows/orders/trigger',
          routeKey: 'POST /flows/{flowId}/trigger',
          pathParameters: { flowId: 'orders' },
          headers: { authorization: `Bearer ${key}`, 'idempotency-key': idempotencyKey },
          body,
        }),
        testContext,
      )) as APIGatewayProxyStructuredResultV2;
      return {
        status: result.statusCode,
        id: String(result.headers?.['hookflow-delivery-id']),
        body: JSON.parse(result.body ?? 'null') as { executionLink?: string },
      };
    };
    /** The sender's first try, refused 503 by a busy engine: nothing started, its `failed` record kept. */
    const refused = async (idempotencyKey: string) => {
      t.engine.failWith = new EngineBusyError('throttled', { retryAfterSeconds: 1 });
      const first = await send(ALL, idempotencyKey);
      t.engine.failWith = undefined;
      expect(first.status).toBe(503);
      return first;
    };
    return { t, send, refused };
  }
  const arnOf = (link: string | undefined) => link?.replace('https://console.example/', '');

  it('records the id of the API key that sent it (its name, never the key or its hash)', async () => {
    const { t, refused } = withRoute();

    const first = await refused('order-7');

    const record = t.log.records.get(first.id)!;
    expect(record).toMatchObject({ outcome: 'failed', apiKeyId: 'all' });
    expect(JSON.stringify(record)).not.toContain(ALL);
  });

  it('refused, replayed, then retried by the sender with the same key: the retry is answered with the replay’s run', async () => {
    // Arrange
    const { t, send, refused } = withRoute();
    const first = await refused('order-7');

    // Act
    const replayed = await t.replay(first.id);
    const retry = await send(ALL, 'order-7');

    // Assert
    expect(replayed.body.outcome).toBe('started');
    expect(retry.status).toBe(202);
    expect(arnOf(retry.body.executionLink)).toBe(replayed.body.runs[0].executionArn);
    expect(t.engine.started).toHaveLength(1);
    expect(t.log.records.get(retry.id)).toMatchObject({ outcome: 'deduplicated', apiKeyId: 'all' });
  });

  it('refused, retried by the sender, then replayed: the replay is answered with the retry’s run, in a dry run too', async () => {
    // Arrange
    const { t, send, refused } = withRoute();
    const first = await refused('order-8');
    const retry = await send(ALL, 'order-8');

    // Act
    const dry = await t.replay(first.id, { dryRun: true });
    const replayed = await t.replay(first.id);
    const replayOfReplay = await t.replay(replayed.body.replay);

    // Assert
    expect(retry.status).toBe(202);
    expect(dry.body).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('already started since') });
    expect(replayed.body).toMatchObject({
      outcome: 'deduplicated',
      runs: [{ executionArn: arnOf(retry.body.executionLink) }],
    });
    expect(replayOfReplay.body.outcome).toBe('skipped');
    expect(t.engine.started).toHaveLength(1);
  });

  it('a replay and the retry sent at once start one run between them', async () => {
    const { t, send, refused } = withRoute();
    const first = await refused('order-9');

    const [replayed, retry] = await Promise.all([t.replay(first.id), send(ALL, 'order-9')]);

    expect(t.engine.started).toHaveLength(1);
    expect(arnOf(retry.body.executionLink)).toBe(replayed.body.runs[0].executionArn);
  });

  it('force keeps its own key: a forced replay is a second run, and the retry still gets the first', async () => {
    const { t, send, refused } = withRoute();
    const first = await refused('order-10');
    const replayed = await t.replay(first.id);

    const forced = await t.replay(first.id, { mode: 'force' });
    const retry = await send(ALL, 'order-10');

    expect(forced.body.outcome).toBe('started');
    expect(forced.body.runs[0].executionArn).not.toBe(replayed.body.runs[0].executionArn);
    expect(arnOf(retry.body.executionLink)).toBe(replayed.body.runs[0].executionArn);
    expect(t.engine.started).toHaveLength(2);
  });

  it('another API key using the same Idempotency-Key is not the same claim (keys are scoped to their owner)', async () => {
    const { t, send, refused } = withRoute();
    t.registry.addApiKey('hf_test_other_sender', { keyId: 'other', flows: ['*'], scopes: ['trigger'] });
    const first = await refused('order-11');
    await t.replay(first.id);

    const other = await send('hf_test_other_sender', 'order-11');

    expect(other.status).toBe(202);
    expect(t.engine.started).toHaveLength(2);
  });

  it('a record without the key id (written before it was kept) claims replay#<id>, as before', async () => {
    const { t, refused } = withRoute();
    const first = await refused('order-12');
    const { apiKeyId: _dropped, ...old } = t.log.records.get(first.id)!;
    t.log.records.set(first.id, old);

    const replayed = await t.replay(first.id);

    expect(replayed.body.outcome).toBe('started');
    expect(t.dedupe.records.has(compositeKey('replay', first.id))).toBe(true);
  });
});
