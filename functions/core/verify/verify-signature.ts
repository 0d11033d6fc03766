import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { UnauthorizedError } from '../outcomes';
import { sha256Of } from '../auth/secrets';
import { type SigningSecrets, type VerifierConfig, activeSecrets } from './verifier-config';

/** A request as verifiers see it: lower-cased headers, the raw body bytes, the query. */
export interface SignedRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
  readonly query?: Readonly<Record<string, string | undefined>>;
}

/** What a verified request proved, for replay protection and for what a handler passes on. */
export interface Verified {
  /** The sender's delivery id, when its scheme has one. */
  readonly deliveryId?: string;
  /** The signed timestamp (epoch seconds), when its scheme signs one. */
  readonly timestamp?: number;
  /**
   * What makes this delivery this delivery, from signed parts only (replay protection's ledger key): the
   * SHA-256 of the exact bytes the MAC covers (`content:`), or the id when the scheme signs one (`id:`,
   * Standard Webhooks' webhook-id, a generic HMAC whose signedContent holds `{id}`). Never the signature as
   * written (hex case, prefix, base64 or hex, header spacing, extra `v1=` all verify the same bytes), never
   * an unsigned header such as X-GitHub-Delivery, and never which secret matched (during a rotation one
   * delivery may verify with either).
   */
  readonly delivery: string;
  /** The header that carried the secret itself, if one did: it must never be passed on or logged. */
  readonly secretHeader?: string;
  readonly secret: 'current' | 'previous';
}

/**
 * Equal in constant time, whatever the lengths: both sides are hashed to fixed-size digests first. Each digest is one
 * crypto.hash call, without a Hash object (a string hashed as UTF-8, as Hash.update hashes it): the same SHA-256, the
 * comparison as constant-time as before (https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding;
 * in Node 22, nodejs22.x). A contrail verifier makes four of these per secret (docs/performance.md, "CPU per request").
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}

const hmac = (algorithm: string, secret: string, content: Buffer) =>
  createHmac(algorithm, secret).update(content).digest();

function required(request: SignedRequest, name: string): string {
  const value = request.headers[name]?.trim();
  if (value === undefined || value === '') throw new UnauthorizedError(`missing ${name} header`);
  return value;
}

/** A timestamp header as epoch seconds, or 401. */
function timestampOf(value: string, name: string): number {
  if (!/^\d{1,12}$/.test(value)) throw new UnauthorizedError(`${name} must be a Unix timestamp in seconds`);
  return Number(value);
}

/** The delivery identity of a request whose signature covers exactly `content`. */
const contentDelivery = (...content: readonly (string | Buffer)[]): string => {
  // The body alone: its digest is likely taken anyway (an Idempotency-Key's fingerprint): take it once.
  if (content.length === 1 && Buffer.isBuffer(content[0]))
    return `content:${sha256Of(content[0]).toString('base64url')}`;
  const hash = createHash('sha256');
  for (const piece of content) hash.update(piece);
  return `content:${hash.digest('base64url')}`;
};

/** Whether a candidate secret verifies the request: `secret` when the request carried the secret itself. */
type Check = (secret: string) => false | 'signature' | 'secret';

const signed = (ok: boolean) => (ok ? ('signature' as const) : false);

/** What one scheme reads from the request and how it checks a candidate secret. */
function scheme(
  config: VerifierConfig,
  request: SignedRequest,
): Omit<Verified, 'secret' | 'secretHeader'> & { check: Check; header?: string; label: string } {
  // Each scheme's `delivery` is the identity of what its check verifies (see Verified.delivery).
  const body = request.rawBody;
  switch (config.kind) {
    case 'shared-secret': {
      const presented = required(request, config.header);
      return {
        // The secret itself is no signature: only the body tells one delivery from another.
        delivery: contentDelivery(body),
        label: config.header,
        header: config.header,
        check: (secret) => (safeEqual(presented, secret) ? 'secret' : false),
      };
    }
    case 'contrail': {
      const presented = required(request, 'x-verify-signature');
      const mac = presented.replace(/^sha256=/i, '');
      return {
        // HMAC or the secret itself, hex or base64, with or without sha256=: the same body, the same delivery.
        delivery: contentDelivery(body),
        label: 'X-Verify-Signature',
        header: 'x-verify-signature',
        check: (secret) => {
          const digest = hmac('sha256', secret, body);
          // every form is compared, so timing says nothing about which one was close
          const plain = safeEqual(presented, secret);
          const macs = [
            safeEqual(mac.toLowerCase(), digest.toString('hex')),
            safeEqual(mac, digest.toString('base64')),
            safeEqual(mac, digest.toString('base64url')),
          ];
          return plain ? 'secret' : signed(macs.some(Boolean));
        },
      };
    }
    case 'hmac': {
      const presented = required(request, config.header);
      if (config.prefix !== '' && !presented.startsWith(config.prefix)) {
        throw new UnauthorizedError(`${config.header} must start with "${config.prefix}"`);
      }
      const mac = presented.slice(config.prefix.length);
      const timestamp =
        config.timestampHeader === undefined
          ? undefined
          : timestampOf(required(request, config.timestampHeader), config.timestampHeader);
      const deliveryId = config.idHeader === undefined ? undefined : required(request, config.idHeader);
      const [before, after] = splitTemplate(config.signedContent, { timestamp, id: deliveryId });
      const content = Buffer.concat([Buffer.from(before), body, Buffer.from(after)]);
      const idSigned = deliveryId !== undefined && config.signedContent.includes('{id}');
      return {
        // A signed id names the delivery (a sender's retry re-signs it with a new timestamp); an unsigned one
        // could be changed at will, so then only the signed bytes do.
        delivery: idSigned ? `id:${deliveryId}` : contentDelivery(content),
        label: config.header,
        ...(timestamp === undefined ? {} : { timestamp }),
        ...(deliveryId === undefined ? {} : { deliveryId }),
        check: (secret) => {
          const digest = hmac(config.algorithm, secret, content).toString(config.encoding);
          return signed(safeEqual(config.encoding === 'hex' ? mac.toLowerCase() : mac, digest));
        },
      };
    }
    case 'github': {
      const presented = required(request, 'x-hub-signature-256');
      const deliveryId = request.headers['x-github-delivery'];
      return {
        // X-GitHub-Delivery is not signed: it is reported, never what makes a request new.
        delivery: contentDelivery(body),
        label: 'X-Hub-Signature-256',
        ...(deliveryId === undefined ? {} : { deliveryId }),
        check: (secret) =>
          signed(safeEqual(presented.toLowerCase(), `sha256=${hmac('sha256', secret, body).toString('hex')}`)),
      };
    }
    case 'stripe': {
      const presented = required(request, 'stripe-signature');
      const parts = presented.split(',').map((part) => part.trim().split('='));
      const t = parts.find(([key]) => key === 't')?.[1];
      const v1 = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
      if (t === undefined || v1.length === 0) {
        throw new UnauthorizedError('stripe-signature must carry t=<timestamp> and v1=<signature>');
      }
      const timestamp = timestampOf(t, 'stripe-signature t');
      const content = Buffer.concat([Buffer.from(`${t}.`), body]);
      return {
        delivery: contentDelivery(content),
        label: 'Stripe-Signature',
        timestamp,
        check: (secret) => {
          const expected = hmac('sha256', secret, content).toString('hex');
          return signed(v1.map((candidate) => safeEqual(candidate, expected)).some(Boolean));
        },
      };
    }
    case 'slack': {
      const presented = required(request, 'x-slack-signature');
      const ts = required(request, 'x-slack-request-timestamp');
      const timestamp = timestampOf(ts, 'x-slack-request-timestamp');
      const content = Buffer.concat([Buffer.from(`v0:${ts}:`), body]);
      return {
        delivery: contentDelivery(content),
        label: 'X-Slack-Signature',
        timestamp,
        check: (secret) => signed(safeEqual(presented, `v0=${hmac('sha256', secret, content).toString('hex')}`)),
      };
    }
    case 'standard-webhooks': {
      const id = required(request, 'webhook-id');
      const ts = required(request, 'webhook-timestamp');
      const presented = required(request, 'webhook-signature');
      const headers = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': presented };
      return {
        // webhook-id is signed, and the spec makes it the idempotency key: a retry re-signs it, same id.
        delivery: `id:${id}`,
        label: 'webhook-signature',
        deliveryId: id,
        timestamp: timestampOf(ts, 'webhook-timestamp'),
        // The standardwebhooks library checks the signature and the spec's 5-minute timestamp tolerance.
        check: (secret) => {
          try {
            new Webhook(secret).verify(body, headers, { jsonParse: false });
            return 'signature';
          } catch (error) {
            if (error instanceof WebhookVerificationError) {
              if (/timestamp/i.test(error.message)) {
                throw new UnauthorizedError(`webhook-timestamp is outside the 5-minute tolerance: ${error.message}`);
              }
              return false;
            }
            throw new UnauthorizedError(`the registration's secret is not a Standard Webhooks (whsec_) secret`);
          }
        },
      };
    }
    case 'microsoft-graph': {
      const states = graphClientStates(body);
      return {
        // Nothing is signed: clientState is the secret, inside the body; only the body tells deliveries apart.
        delivery: contentDelivery(body),
        label: 'clientState',
        check: (secret) => signed(states.map((state) => safeEqual(state, secret)).every(Boolean)),
      };
    }
  }
}

/** Every notification of a Graph change-notification body must carry clientState. */
function graphClientStates(body: Buffer): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new UnauthorizedError('a Microsoft Graph notification body must be JSON');
  }
  const values = (parsed as { value?: unknown }).value;
  if (!Array.isArray(values) || values.length === 0) {
    throw new UnauthorizedError('a Microsoft Graph notification body must carry "value": [...]');
  }
  return values.map((value) => {
    const state = (value as { clientState?: unknown } | null)?.clientState;
    if (typeof state !== 'string') throw new UnauthorizedError('every Microsoft Graph notification needs clientState');
    return state;
  });
}

/** `{timestamp}.{body}` → the text before and after `{body}`, with the other placeholders filled in. */
function splitTemplate(template: string, values: { timestamp: number | undefined; id: string | undefined }) {
  const fill = (text: string) =>
    text.replace(/\{(timestamp|id)\}/g, (_m, name: 'timestamp' | 'id') => {
      const value = values[name];
      if (value === undefined)
        throw new UnauthorizedError(`signedContent uses {${name}}, which this verifier does not read`);
      return String(value);
    });
  const index = template.indexOf('{body}');
  return [fill(template.slice(0, index)), fill(template.slice(index + '{body}'.length))] as const;
}

/**
 * Verifies `request` against a registration's verifier with each active secret (current, then previous until
 * it expires). 401 with a message naming what was missing or wrong; never which secret came close.
 */
export function verifySignedRequest(
  config: VerifierConfig,
  secrets: SigningSecrets,
  request: SignedRequest,
  now: number,
): Verified {
  const { check, header, label, ...read } = scheme(config, request);
  const candidates = activeSecrets(secrets, now);
  const results = candidates.map((candidate) => check(candidate.value));
  const index = results.findIndex((result) => result !== false);
  if (index < 0) throw new UnauthorizedError(`${label} does not match the secret`);
  return {
    ...read,
    secret: candidates[index]!.which,
    ...(results[index] === 'secret' && header !== undefined ? { secretHeader: header } : {}),
  };
}
