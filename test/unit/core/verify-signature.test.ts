import { sign as githubSign } from '@octokit/webhooks-methods';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { ConflictError, UnauthorizedError } from '../../../functions/core/outcomes';
import { graphValidation, slackUrlVerification } from '../../../functions/http/handshakes';
import { guardReplay } from '../../../functions/core/verify/replay-guard';
import {
  type SigningSecrets,
  type VerifierConfig,
  replaySchema,
  rotateSecrets,
  verifierSchema,
} from '../../../functions/core/verify/verifier-config';
import { safeEqual, verifySignedRequest } from '../../../functions/core/verify/verify-signature';
import { verifyRegistration } from '../../../functions/core/verify/verify-registration';
import { InMemoryDeliveryLedger } from '../../support/fakes';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const nowSeconds = Math.floor(NOW / 1000);
const body = Buffer.from('{"event":"push","n":1}');
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'; // a Standard Webhooks secret works as an opaque secret too
const secrets: SigningSecrets = { current: secret };
const config = (value: unknown) => verifierSchema.parse(value);
const verify = (verifier: VerifierConfig, headers: Record<string, string>, s = secrets, now = NOW) =>
  verifySignedRequest(verifier, s, { headers, rawBody: body }, now);

describe('verifiers, checked with signatures made by the senders’ own libraries', () => {
  it('Standard Webhooks (standardwebhooks): webhook-id, webhook-timestamp, webhook-signature', () => {
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const signature = new Webhook(secret).sign('msg_1', new Date(NOW), body.toString());
      const headers = {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(nowSeconds),
        'webhook-signature': signature,
      };
      expect(verify(config({ kind: 'standard-webhooks' }), headers)).toMatchObject({
        deliveryId: 'msg_1',
        timestamp: nowSeconds,
        secret: 'current',
      });
      expect(() => verify(config({ kind: 'standard-webhooks' }), { ...headers, 'webhook-id': 'msg_2' })).toThrow(
        'webhook-signature does not match the secret',
      );
      const old = new Webhook(secret).sign('msg_3', new Date(NOW - 600_000), body.toString());
      expect(() =>
        verify(config({ kind: 'standard-webhooks' }), {
          'webhook-id': 'msg_3',
          'webhook-timestamp': String(nowSeconds - 600),
          'webhook-signature': old,
        }),
      ).toThrow(/outside the 5-minute tolerance/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('GitHub (@octokit/webhooks-methods): X-Hub-Signature-256, delivery id from X-GitHub-Delivery', async () => {
    const signature = await githubSign(secret, body.toString());
    const headers = { 'x-hub-signature-256': signature, 'x-github-delivery': 'd-1' };
    expect(verify(config({ kind: 'github' }), headers)).toMatchObject({ deliveryId: 'd-1' });
    expect(() => verify(config({ kind: 'github' }), { 'x-hub-signature-256': 'sha256=00' })).toThrow(
      'X-Hub-Signature-256 does not match the secret',
    );
    expect(() => verify(config({ kind: 'github' }), {})).toThrow('missing x-hub-signature-256 header');
  });

  it('Stripe (stripe.webhooks.generateTestHeaderString): Stripe-Signature t=,v1=', () => {
    const stripe = new Stripe('sk_test_hookflow');
    const header = stripe.webhooks.generateTestHeaderString({
      payload: body.toString(),
      secret,
      timestamp: nowSeconds,
    });
    expect(verify(config({ kind: 'stripe' }), { 'stripe-signature': header })).toMatchObject({ timestamp: nowSeconds });
    const other = stripe.webhooks.generateTestHeaderString({ payload: '{}', secret, timestamp: nowSeconds });
    expect(() => verify(config({ kind: 'stripe' }), { 'stripe-signature': other })).toThrow(/does not match/);
    expect(() => verify(config({ kind: 'stripe' }), { 'stripe-signature': 'v1=abc' })).toThrow(/t=<timestamp>/);
  });

  it('Slack signing secret: v0=HMAC("v0:" + timestamp + ":" + body), as Slack documents it', () => {
    const ts = String(nowSeconds);
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body.toString()}`).digest('hex')}`;
    const headers = { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts };
    expect(verify(config({ kind: 'slack' }), headers)).toMatchObject({ timestamp: nowSeconds });
    expect(() =>
      verify(config({ kind: 'slack' }), { ...headers, 'x-slack-request-timestamp': String(nowSeconds + 1) }),
    ).toThrow('X-Slack-Signature does not match the secret');
  });

  it('generic HMAC: algorithm, encoding, prefix and a signed-content template', () => {
    const hmac = config({
      kind: 'hmac',
      header: 'X-Signature',
      algorithm: 'sha512',
      encoding: 'base64',
      prefix: 'v1=',
      signedContent: '{timestamp}.{id}.{body}',
      timestampHeader: 'X-Timestamp',
      idHeader: 'X-Delivery',
    });
    const digest = createHmac('sha512', secret).update(`${nowSeconds}.d-9.${body.toString()}`).digest('base64');
    const headers = { 'x-signature': `v1=${digest}`, 'x-timestamp': String(nowSeconds), 'x-delivery': 'd-9' };
    expect(verify(hmac, headers)).toMatchObject({ deliveryId: 'd-9', timestamp: nowSeconds });
    expect(() => verify(hmac, { ...headers, 'x-signature': digest })).toThrow('x-signature must start with "v1="');
    const sha1 = config({ kind: 'hmac', header: 'X-Sig', algorithm: 'sha1' });
    expect(verify(sha1, { 'x-sig': createHmac('sha1', secret).update(body).digest('hex').toUpperCase() })).toBeTruthy();
    expect(() => config({ kind: 'hmac', header: 'X', signedContent: '{timestamp}' })).toThrow(/must include \{body\}/);
  });

  it('shared secret in any header, reporting the header so it can be redacted', () => {
    const shared = config({ kind: 'shared-secret', header: 'Inbound-Webhook-Secret' });
    expect(verify(shared, { 'inbound-webhook-secret': secret })).toMatchObject({
      secretHeader: 'inbound-webhook-secret',
    });
    expect(() => verify(shared, { 'inbound-webhook-secret': `${secret}x` })).toThrow(UnauthorizedError);
  });

  it('seed 5 (contrail): the secret itself or an HMAC-SHA256 of the body', () => {
    const contrail = config({ kind: 'contrail' });
    expect(verify(contrail, { 'x-verify-signature': secret }).secretHeader).toBe('x-verify-signature');
    const mac = createHmac('sha256', secret).update(body).digest('hex');
    expect(verify(contrail, { 'x-verify-signature': `sha256=${mac}` }).secretHeader).toBeUndefined();
  });

  it('seed 5 (contrail): every form of the HMAC verifies, and a near miss of each is refused', () => {
    const contrail = config({ kind: 'contrail' });
    const digest = createHmac('sha256', secret).update(body).digest();
    const forms = [
      digest.toString('hex'),
      `sha256=${digest.toString('hex').toUpperCase()}`,
      digest.toString('base64'),
      `SHA256=${digest.toString('base64url')}`,
    ];
    for (const form of forms) {
      expect(verify(contrail, { 'x-verify-signature': form })).toMatchObject({ secret: 'current' });
      const nearMiss = `${form.slice(0, -1)}${form.endsWith('A') ? 'B' : 'A'}`;
      expect(() => verify(contrail, { 'x-verify-signature': nearMiss })).toThrow(
        'X-Verify-Signature does not match the secret',
      );
    }
  });

  it('compares in constant time as plain equality does: strings as their UTF-8 bytes, any lengths', () => {
    const table: [string | Buffer, string | Buffer, boolean][] = [
      ['', '', true],
      ['a', 'a', true],
      ['a', 'A', false],
      ['abc', 'abcd', false],
      ['é€😀', 'é€😀', true],
      ['é€😀', Buffer.from('é€😀', 'utf8'), true],
      [Buffer.from([0xff, 0x00]), Buffer.from([0xff, 0x00]), true],
      [Buffer.from([0xff, 0x00]), Buffer.from([0xff]), false],
      [secret, `${secret} `, false],
    ];
    for (const [a, b, equal] of table) {
      expect(safeEqual(a, b)).toBe(equal);
      expect(safeEqual(b, a)).toBe(equal);
    }
  });

  it('Microsoft Graph: every notification’s clientState is the secret', () => {
    const graph = config({ kind: 'microsoft-graph' });
    const notification = (clientState: string) =>
      Buffer.from(JSON.stringify({ value: [{ clientState, resource: 'users/1' }, { clientState: secret }] }));
    const request = (b: Buffer) => ({ headers: {}, rawBody: b });
    expect(verifySignedRequest(graph, secrets, request(notification(secret)), NOW).secret).toBe('current');
    expect(() => verifySignedRequest(graph, secrets, request(notification('guess')), NOW)).toThrow(/clientState/);
  });
});

describe('secret rotation with overlap', () => {
  const mac = (s: string) => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`;

  it('verifies with the previous secret until it expires, then only with the current one', () => {
    const rotated = rotateSecrets(secrets, 'next-secret-0123456789', 3600, NOW);
    expect(rotated).toEqual({
      current: 'next-secret-0123456789',
      previous: { value: secret, expiresAt: new Date(NOW + 3_600_000).toISOString() },
    });
    const github = config({ kind: 'github' });
    expect(verify(github, { 'x-hub-signature-256': mac('next-secret-0123456789') }, rotated).secret).toBe('current');
    expect(verify(github, { 'x-hub-signature-256': mac(secret) }, rotated, NOW + 3_599_000).secret).toBe('previous');
    expect(() => verify(github, { 'x-hub-signature-256': mac(secret) }, rotated, NOW + 3_600_000)).toThrow(
      UnauthorizedError,
    );
    expect(rotateSecrets(rotated, 'third-secret-0123456789', 0, NOW)).toEqual({ current: 'third-secret-0123456789' });
  });
});

describe('replay protection', () => {
  const replay = replaySchema.parse({});
  const verified = { delivery: 'content:sig-a', secret: 'current' as const };

  it('accepts a timestamp inside the tolerance and refuses one outside it', async () => {
    const ledger = new InMemoryDeliveryLedger();
    await guardReplay(ledger, 'w1', replay, { ...verified, timestamp: nowSeconds - 299 }, NOW);
    await expect(
      guardReplay(ledger, 'w1', replay, { ...verified, delivery: 'content:b', timestamp: nowSeconds - 301 }, NOW),
    ).rejects.toThrow('the signed timestamp is 301 s away from now; at most 300 s is accepted');
    await expect(
      guardReplay(ledger, 'w1', replay, { ...verified, delivery: 'content:c', timestamp: nowSeconds + 400 }, NOW),
    ).rejects.toThrow(UnauthorizedError);
  });

  it('accepts a delivery once inside the window (by signed id, or by signed content), per registration', async () => {
    let clock = nowSeconds;
    const ledger = new InMemoryDeliveryLedger();
    await (await guardReplay(ledger, 'w1', replay, { ...verified, delivery: 'id:d-1' }, NOW)).confirm();
    await expect(guardReplay(ledger, 'w1', replay, { ...verified, delivery: 'id:d-1' }, NOW)).rejects.toThrow(
      new ConflictError('delivery "d-1" was already accepted; nothing was started again'),
    );
    await guardReplay(ledger, 'w2', replay, { ...verified, delivery: 'id:d-1' }, NOW); // another registration
    await (await guardReplay(ledger, 'w1', replay, verified, NOW)).confirm();
    await expect(guardReplay(ledger, 'w1', replay, verified, NOW)).rejects.toBeInstanceOf(ConflictError);
    clock += replay.ledgerSeconds + 1; // outside the window the ledger has forgotten it
    await guardReplay(ledger, 'w1', replay, verified, (clock + 0) * 1000);
  });
});

describe('handshakes', () => {
  it('answers Slack url_verification only for a slack verifier', () => {
    const challenge = { type: 'url_verification', challenge: 'abc' };
    expect(slackUrlVerification(config({ kind: 'slack' }), challenge)).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"challenge":"abc"}',
    });
    expect(slackUrlVerification(config({ kind: 'github' }), challenge)).toBeUndefined();
    expect(slackUrlVerification(config({ kind: 'slack' }), { type: 'event_callback' })).toBeUndefined();
  });

  it('echoes Microsoft Graph validationToken as plain text, only for a microsoft-graph verifier', () => {
    const graph = config({ kind: 'microsoft-graph' });
    expect(graphValidation(graph, { validationToken: 'Validation: Token <b>' })).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
      body: 'Validation: Token <b>',
    });
    expect(graphValidation(config({ kind: 'contrail' }), { validationToken: 'x' })).toBeUndefined();
    expect(graphValidation(graph, {})).toBeUndefined();
    expect(graphValidation(graph, { validationToken: 'x'.repeat(1025) })?.statusCode).toBe(400);
  });
});

describe('verifyRegistration (flows, client webhooks, event workflows, inbound)', () => {
  const stored = {
    verifier: config({ kind: 'shared-secret', header: 'X-Token' }),
    replay: replaySchema.parse({}),
    secrets,
  };
  const request = (token: string) => ({ headers: { 'x-token': token }, rawBody: body });

  it('does nothing for a registration without a verifier, and verifies (and dedupes) one with it', async () => {
    const deps = { deliveries: new InMemoryDeliveryLedger(), now: () => new Date(NOW).getTime() };
    expect(await verifyRegistration(deps, 'flow#a', undefined, undefined)).toBeUndefined();
    expect(await verifyRegistration(deps, 'flow#a', stored, request(secret))).toMatchObject({
      secretHeader: 'x-token',
    });
    await expect(verifyRegistration(deps, 'flow#a', stored, request(secret))).rejects.toBeInstanceOf(ConflictError);
    await expect(verifyRegistration(deps, 'flow#a', stored, request('wrong'))).rejects.toThrow(
      'x-token does not match the secret',
    );
    await expect(verifyRegistration({}, 'flow#a', stored, request(secret))).rejects.toThrow(/no ledger is wired/);
  });
});
