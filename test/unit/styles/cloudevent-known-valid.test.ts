import fc from 'fast-check';
import { CloudEvent } from 'cloudevents';
import { InvalidInputError } from '../../../functions/core/outcomes';
import { knownValid, parseEventRequest } from '../../../functions/styles/events/request';
import { httpEvent } from '../../support/api-gateway-events';

/**
 * knownValid (functions/styles/events/request.ts) skips the SDK's validate() for an event it can tell is valid. It
 * may say "not known" of a valid event (the SDK then validates it), never "valid" of an event the SDK refuses: the
 * properties below hold it to that against the SDK's own validate(), over sources, times, attributes and data of
 * every kind, the near misses included. A refused event still gets the SDK's errors, so the answers are unchanged.
 */

/** The event as the SDK builds it without validating (as hookflow's structured path does), or undefined if it throws. */
function built(attributes: Record<string, unknown>): CloudEvent | undefined {
  try {
    return new CloudEvent(attributes as never, false);
  } catch {
    return undefined;
  }
}

function sdkAccepts(event: CloudEvent): boolean {
  try {
    event.validate();
    return true;
  } catch {
    return false;
  }
}

const base = { specversion: '1.0', id: 'evt-1', type: 'com.example.order.created', source: '/orders' };

/** Sources near the edges of the URI-reference rule: slashes, colons, ports, percent signs, spaces, unicode. */
const source = fc.oneof(
  fc.stringMatching(/^\/{0,3}[A-Za-z0-9\-._~:/?#%@[\] !$&'()*+,;=]{0,16}$/),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '',
    '/',
    '//',
    '///',
    '//a:b/c',
    '//a:8080/c',
    'https://example.com/x',
    'urn:uuid:1',
    ':',
    'a b',
    'é',
  ),
);
const time = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '2026-02-30T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01t00:00:00.000z',
    '0000-01-01T00:00:00.000Z',
  ),
);
const optionalString = fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.constant('')), { nil: undefined });
const data = fc.oneof(
  fc.jsonValue(),
  fc.double(),
  fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY),
  fc.bigInt().map((n) => n as unknown),
);
const extensionName = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,8}$/),
  fc.string({ maxLength: 6 }),
  fc.constant('data_base64'),
);

const attributes = fc.record(
  {
    specversion: fc.oneof(fc.constant('1.0'), fc.constant('0.3'), fc.string({ maxLength: 4 })),
    id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    type: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null)),
    source,
    time,
    datacontenttype: optionalString,
    subject: optionalString,
    dataschema: fc.option(fc.oneof(fc.webUrl(), fc.string({ maxLength: 8 })), { nil: undefined }),
    data,
    extensions: fc.dictionary(
      extensionName,
      fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null)),
      {
        maxKeys: 2,
      },
    ),
  },
  { requiredKeys: ['specversion', 'id', 'type', 'source'] },
);

describe('knownValid: the CloudEvent check before the SDK’s validate()', () => {
  it('never calls valid an event the SDK’s validate() refuses (property-based)', () => {
    fc.assert(
      fc.property(attributes, ({ extensions, ...named }) => {
        const event = built({ ...extensions, ...named });
        if (event === undefined) return;
        if (knownValid(event)) expect(sdkAccepts(event)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('takes every plain source the SDK takes, with or without one leading slash (property-based)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\/?[A-Za-z0-9\-._~:][A-Za-z0-9\-._~:/]{0,24}$/), (plain) => {
        const event = built({ ...base, source: plain, data: { n: 1 } })!;
        expect(knownValid(event)).toBe(true);
        expect(sdkAccepts(event)).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });

  it.each([
    // A structured event's time as hookflow's parse hands it to the SDK's class (its DateParser: toISOString).
    ['a structured event as senders send it', { ...base, time: '2026-01-31T12:00:00.000Z', data: { order: 7 } }, true],
    ['a time not as Date writes it (left to the SDK)', { ...base, time: '2026-01-31T12:00:00Z' }, false],
    [
      'with subject, content type and an extension',
      { ...base, subject: 's', datacontenttype: 'application/json', traceparent: 'x', data: [1] },
      true,
    ],
    ['with no data', base, true],
    ['a URL source', { ...base, source: 'https://example.com/orders' }, true],
    ['a URN source', { ...base, source: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66' }, true],
    ['a source that begins an authority (left to the SDK)', { ...base, source: '//a:b/c' }, false],
    ['a source with a space (the SDK refuses it)', { ...base, source: 'a b' }, false],
    ['a source with a query (left to the SDK)', { ...base, source: '/orders?x=1' }, false],
    ['a dataschema (left to the SDK)', { ...base, dataschema: 'https://example.com/schema' }, false],
    ['null data (left to the SDK)', { ...base, data: null }, false],
    ['an empty subject (the SDK refuses it)', { ...base, subject: '' }, false],
    ['an extension name in capitals (the SDK refuses it)', { ...base, Trace: 'x' }, false],
    ['specversion 0.3', { ...base, specversion: '0.3' }, false],
  ])('%s: known valid %p', (_, attributesOf, expected) => {
    const event = built(attributesOf)!;

    expect(knownValid(event)).toBe(expected);
    if (expected) expect(sdkAccepts(event)).toBe(true);
  });

  it('leaves a refused event to the SDK: the same 400 and message as before', () => {
    const request = (body: unknown) =>
      httpEvent({
        method: 'POST',
        path: '/api/v2/event',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(body),
      });

    const refused = () => parseEventRequest(request({ ...base, source: 'a b' }), 1_000_000);

    expect(refused).toThrow(InvalidInputError);
    expect(refused).toThrow('not a valid CloudEvent: /source must match format "uri-reference"');
  });
});
