import { sign as githubSign } from '@octokit/webhooks-methods';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { ConflictError, DuplicateError, EngineBusyError, InProgressError } from '../../../functions/core/outcomes';
import { httpAnswerOf } from '../../../functions/http/outcome-to-http';
import { guardReplay, settleDelivery } from '../../../functions/core/verify/replay-guard';
import { replaySchema, verifierSchema } from '../../../functions/core/verify/verifier-config';
import { verifyRegistration } from '../../../functions/core/verify/verify-registration';
import { InMemoryDeliveryLedger } from '../../support/fakes';

/**
 * Issue 15, defect 1: replay protection must key its ledger on what was verified. Each case signs ONE delivery
 * the way its sender does, then re-sends it in every encoding that still verifies (hex case, prefix, base64,
 * header spacing, extra signatures, unsigned ids changed, dropped or 3,000 characters long): the first is
 * accepted, every other one is refused as a replay.
 */
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const nowSeconds = Math.floor(NOW / 1000);
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = '{"event":"push","n":1}';
const rawBody = Buffer.from(body);
const hex = (key: string, content: string, algorithm = 'sha256') =>
  createHmac(algorithm, key).update(content).digest('hex');
const b64 = (key: string, content: string) => createHmac('sha256', key).update(content).digest('base64');

interface Case {
  readonly verifier: unknown;
  readonly body?: string;
  /** The delivery as sent, then its re-encodings: every one verifies. */
  readonly encodings: () => Promise<Record<string, string | undefined>[]> | Record<string, string | undefined>[];
}

const cases: Record<string, Case> = {
  GitHub: {
    verifier: { kind: 'github' },
    encodings: async () => {
      const signature = await githubSign(secret, body);
      const mac = signature.slice('sha256='.length);
      return [
        { 'x-hub-signature-256': signature, 'x-github-delivery': 'd-1' },
        { 'x-hub-signature-256': signature, 'x-github-delivery': 'd-2' },
        { 'x-hub-signature-256': signature },
        { 'x-hub-signature-256': `sha256=${mac.toUpperCase()}`, 'x-github-delivery': 'd-1' },
        { 'x-hub-signature-256': `SHA256=${mac}`, 'x-github-delivery': 'd-3' },
        { 'x-hub-signature-256': ` ${signature} ` },
        { 'x-hub-signature-256': signature, 'x-github-delivery': 'd'.repeat(3000) },
        { 'x-hub-signature-256': signature, 'x-github-delivery': 'é'.repeat(3000) },
      ];
    },
  },
  Stripe: {
    verifier: { kind: 'stripe' },
    encodings: () => {
      const header = new Stripe('sk_test_hookflow').webhooks.generateTestHeaderString({
        payload: body,
        secret,
        timestamp: nowSeconds,
      });
      const mac = hex(secret, `${nowSeconds}.${body}`);
      return [
        { 'stripe-signature': header },
        { 'stripe-signature': `t=${nowSeconds}, v1=${mac}` },
        { 'stripe-signature': `v1=${mac},t=${nowSeconds}` },
        { 'stripe-signature': `t=${nowSeconds},v1=${'0'.repeat(64)},v1=${mac}` },
        { 'stripe-signature': `t=${nowSeconds},v1=${mac},v0=${'1'.repeat(64)}` },
        { 'stripe-signature': `t=${nowSeconds},v1=${mac},v1=${mac}` },
      ];
    },
  },
  Slack: {
    verifier: { kind: 'slack' },
    encodings: () => {
      const signature = `v0=${hex(secret, `v0:${nowSeconds}:${body}`)}`;
      return [
        { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(nowSeconds) },
        { 'x-slack-signature': ` ${signature}`, 'x-slack-request-timestamp': ` ${nowSeconds} ` },
        { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(nowSeconds), 'x-slack-retry-num': '1' },
      ];
    },
  },
  'Standard Webhooks': {
    verifier: { kind: 'standard-webhooks' },
    encodings: () => {
      {
        const webhook = new Webhook(secret);
        const signature = webhook.sign('msg_1', new Date(NOW), body);
        // The sender's own retry of msg_1 signs it again with a later timestamp: still the same delivery.
        const retried = webhook.sign('msg_1', new Date(NOW + 30_000), body);
        const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(nowSeconds) };
        return [
          { ...headers, 'webhook-signature': signature },
          { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${signature}` },
          { ...headers, 'webhook-signature': `${signature} ${signature}` },
          { 'webhook-id': 'msg_1', 'webhook-timestamp': String(nowSeconds + 30), 'webhook-signature': retried },
        ];
      }
    },
  },
  'Microsoft Graph': {
    verifier: { kind: 'microsoft-graph' },
    body: JSON.stringify({ value: [{ clientState: secret, resource: 'users/1', changeType: 'updated' }] }),
    encodings: (): Record<string, string | undefined>[] => [
      {},
      { 'content-type': 'application/json' },
      { 'client-request-id': 'another' },
    ],
  },
  'seed 5 (contrail)': {
    verifier: { kind: 'contrail' },
    encodings: () => [
      { 'x-verify-signature': hex(secret, body) },
      { 'x-verify-signature': hex(secret, body).toUpperCase() },
      { 'x-verify-signature': `sha256=${hex(secret, body)}` },
      { 'x-verify-signature': b64(secret, body) },
      { 'x-verify-signature': b64(secret, body).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') },
      { 'x-verify-signature': `sha256=${b64(secret, body)}` },
      { 'x-verify-signature': secret },
    ],
  },
  'generic HMAC (unsigned id header)': {
    verifier: { kind: 'hmac', header: 'X-Signature', prefix: 'sha256=', idHeader: 'X-Delivery' },
    encodings: () => [
      { 'x-signature': `sha256=${hex(secret, body)}`, 'x-delivery': 'a' },
      { 'x-signature': `sha256=${hex(secret, body).toUpperCase()}`, 'x-delivery': 'a' },
      { 'x-signature': `sha256=${hex(secret, body)}`, 'x-delivery': 'b' },
      { 'x-signature': `sha256=${hex(secret, body)}`, 'x-delivery': 'x'.repeat(3000) },
    ],
  },
  'generic HMAC (signed id and timestamp, base64)': {
    verifier: {
      kind: 'hmac',
      header: 'X-Signature',
      encoding: 'base64',
      signedContent: '{id}.{timestamp}.{body}',
      idHeader: 'X-Delivery',
      timestampHeader: 'X-Timestamp',
    },
    encodings: () => [
      {
        'x-signature': b64(secret, `evt-1.${nowSeconds}.${body}`),
        'x-delivery': 'evt-1',
        'x-timestamp': String(nowSeconds),
      },
      {
        'x-signature': ` ${b64(secret, `evt-1.${nowSeconds}.${body}`)}`,
        'x-delivery': ' evt-1 ',
        'x-timestamp': String(nowSeconds),
      },
      // a retry re-signed with a later timestamp: the signed id makes it the same delivery
      {
        'x-signature': b64(secret, `evt-1.${nowSeconds + 5}.${body}`),
        'x-delivery': 'evt-1',
        'x-timestamp': String(nowSeconds + 5),
      },
    ],
  },
};

describe('replay protection keys the ledger on what was verified (issue 15, defect 1)', () => {
  // The standardwebhooks library checks its timestamp against the clock.
  beforeEach(() => jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it.each(Object.entries(cases))('%s: one delivery, every re-encoding refused as a replay', async (_name, c) => {
    // Arrange
    const deps = { deliveries: new InMemoryDeliveryLedger(), now: () => new Date(NOW).getTime() };
    const stored = {
      verifier: verifierSchema.parse(c.verifier),
      replay: replaySchema.parse({}),
      secrets: { current: secret },
    };
    const [first, ...again] = await c.encodings();
    const request = (headers: Record<string, string | undefined>) => ({
      headers,
      rawBody: c.body === undefined ? rawBody : Buffer.from(c.body),
    });

    // Act
    const accepted = await verifyRegistration(deps, 'flow#a', stored, request(first!));
    const replays = await Promise.allSettled(again.map((h) => verifyRegistration(deps, 'flow#a', stored, request(h))));

    // Assert
    expect(accepted).toBeDefined();
    expect(again.length).toBeGreaterThan(1);
    for (const replay of replays) {
      expect(replay.status).toBe('rejected');
      expect((replay as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    }
  });

  it('a different body is a different delivery, whatever id it claims', async () => {
    const deps = { deliveries: new InMemoryDeliveryLedger(), now: () => new Date(NOW).getTime() };
    const stored = {
      verifier: verifierSchema.parse({ kind: 'github' }),
      replay: replaySchema.parse({}),
      secrets: { current: secret },
    };
    const send = async (content: string) =>
      verifyRegistration(deps, 'flow#a', stored, {
        headers: { 'x-hub-signature-256': await githubSign(secret, content), 'x-github-delivery': 'same' },
        rawBody: Buffer.from(content),
      });

    await send('{"n":1}');
    await expect(send('{"n":2}')).resolves.toBeDefined();
  });
});

describe('a delivery whose run failed to start is not burned (issue 15, defect 2)', () => {
  const replay = replaySchema.parse({});
  const verified = { delivery: 'content:abc', secret: 'current' as const };
  const settleErrors: unknown[] = [];
  const fail = (error: unknown) => settleErrors.push(error);
  afterEach(() => expect(settleErrors).toEqual([]));

  it('a released claim lets the retry through; a confirmed one refuses it', async () => {
    // Arrange
    const ledger = new InMemoryDeliveryLedger();
    const failedStart = await guardReplay(ledger, 'flow#a', replay, verified, NOW);

    // Act
    await expect(
      settleDelivery(failedStart, () => Promise.reject(new EngineBusyError('throttled')), fail),
    ).rejects.toBeInstanceOf(EngineBusyError);
    const retry = await guardReplay(ledger, 'flow#a', replay, verified, NOW);
    await settleDelivery(retry, () => Promise.resolve('started'), fail);

    // Assert
    await expect(guardReplay(ledger, 'flow#a', replay, verified, NOW)).rejects.toBeInstanceOf(ConflictError);
  });

  it('a claim whose owner died blocks copies during its lease, and is taken over after it', async () => {
    let clock = nowSeconds;
    const ledger = new InMemoryDeliveryLedger();
    await guardReplay(ledger, 'flow#a', replay, verified, clock * 1000, 30); // never settled: the owner crashed

    await expect(guardReplay(ledger, 'flow#a', replay, verified, clock * 1000, 30)).rejects.toBeInstanceOf(
      ConflictError,
    );
    clock += 31;
    const takeover = await guardReplay(ledger, 'flow#a', replay, verified, clock * 1000, 30);
    await takeover.confirm();
    clock += 31; // a confirmed delivery stays refused after the lease, for the whole window
    await expect(guardReplay(ledger, 'flow#a', replay, verified, clock * 1000, 30)).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('tells a copy of a delivery still being started to retry after the lease, and one already accepted that it was', async () => {
    // Arrange: the first copy claimed the delivery 10 s ago and has not started its run yet (or died).
    const ledger = new InMemoryDeliveryLedger();
    const first = await guardReplay(ledger, 'flow#a', replay, verified, (nowSeconds - 10) * 1000, 30);

    // Act
    const whileStarting = await guardReplay(ledger, 'flow#a', replay, verified, nowSeconds * 1000, 30).catch(
      (error: unknown) => error,
    );
    await first.confirm();
    const afterAccepted = await guardReplay(ledger, 'flow#a', replay, verified, nowSeconds * 1000, 30).catch(
      (error: unknown) => error,
    );

    // Assert: in progress (409 with the lease's remaining 21 s as Retry-After), then a duplicate (409, no retry).
    expect(whileStarting).toBeInstanceOf(InProgressError);
    expect(httpAnswerOf(whileStarting as InProgressError)).toMatchObject({
      statusCode: 409,
      headers: { 'retry-after': '21' },
    });
    expect(afterAccepted).toBeInstanceOf(DuplicateError);
    expect((afterAccepted as DuplicateError).message).toMatch(/already accepted/);
  });

  it('a stale owner can neither confirm nor release the claim that was taken over', async () => {
    let clock = nowSeconds;
    const ledger = new InMemoryDeliveryLedger();
    const stale = await guardReplay(ledger, 'flow#a', replay, verified, clock * 1000, 30);
    clock += 31;
    const current = await guardReplay(ledger, 'flow#a', replay, verified, clock * 1000, 30);

    await stale.release();

    await expect(guardReplay(ledger, 'flow#a', replay, verified, clock * 1000, 30)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await current.confirm();
    expect([...ledger.entries.values()]).toEqual([expect.objectContaining({ accepted: true })]);
  });
});
