/**
 * JSON as senders write it. `JSON.parse` turns every number into an IEEE 754 double, so
 * `1234567890123456789` would reach a workflow as `1234567890123456800` and `1e400` as `null` (JSON.stringify
 * writes Infinity as null). hookflow's rule, the same on every route and in the fan-out worker:
 *
 * - a number a double holds exactly (its decimal value survives the round trip) is an ordinary number;
 * - a number a double cannot hold exactly is kept as the sender wrote it (`JSON.rawJSON`), so it reaches the
 *   workflow's input with the same digits (JSON.stringify writes raw JSON verbatim; Node 21+, the Lambda
 *   runtime is nodejs22.x);
 * - a number beyond a double's range (it would parse as ±Infinity) is refused: no JSON tool downstream can
 *   carry it faithfully;
 * - the key `__proto__` is refused wherever it appears: JSON.parse keeps it as an own property, but any copy
 *   by assignment (a schema's output, Object.assign) turns it into a prototype change and drops it, so it
 *   could not be passed on the same way on every path.
 *
 * Pure code: callers turn an {@link UnsupportedJsonError} into their own answer (HTTP 400 at the edge).
 */
export class UnsupportedJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedJsonError';
  }
}

interface RawJson {
  readonly rawJSON: string;
}
/** ES2024+ (TC39 "JSON.parse source text access"), not yet in TypeScript's ES2023 lib. */
const json = JSON as unknown as {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
  parse(text: string, reviver: (key: string, value: unknown, context: { source?: string }) => unknown): unknown;
};

/** True for a value `parseJsonExact` kept as written (a number a double cannot hold). */
export const isRawJsonNumber = (value: unknown): value is RawJson => json.isRawJSON(value);

/**
 * Only text that could hold such a number (16 or more digits in a row, dots included, or a three-digit
 * exponent) or a `__proto__` key needs the slower reviver; everything else parses as plain JSON.parse does.
 */
const NEEDS_REVIVER = /\d[\d.]{15}|[eE][+-]?\d{3}|__proto__/;

/**
 * Parses a request body by the rule above. Throws UnsupportedJsonError as above, and for invalid JSON a
 * SyntaxError whose message must not be passed on: V8 quotes the text around the error in it, which may be a
 * secret sent by mistake (use {@link jsonSyntaxErrorMessage}).
 */
export function parseJsonExact(text: string): unknown {
  return parse(text, true);
}

/**
 * Parses JSON hookflow itself wrote from such a body (a fan-out message) or a workflow wrote (an execution's
 * output): numbers a double cannot hold stay as written, and nothing is refused, since it was checked on the
 * way in or is the workflow's own.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  return parse(text, false);
}

function parse(text: string, fromSender: boolean): unknown {
  if (!NEEDS_REVIVER.test(text)) return JSON.parse(text);
  return json.parse(text, (key, value, context) => {
    if (fromSender && key === '__proto__') {
      throw new UnsupportedJsonError('the key "__proto__" is not accepted in JSON bodies');
    }
    if (typeof value !== 'number' || context.source === undefined) return value;
    if (fromSender && !Number.isFinite(value)) {
      // The number itself is not echoed: whatever a body holds stays out of answers and logs.
      throw new UnsupportedJsonError('a number in the body is beyond the range of a double (about ±1.8e308)');
    }
    return sameDecimal(context.source, String(value)) ? value : json.rawJSON(context.source);
  });
}

/** Whether two JSON number texts denote the same decimal value (`1.50` and `1.5e0` do; `0.1` and `0.10…01` don't). */
export function sameDecimal(a: string, b: string): boolean {
  const x = canonical(a);
  const y = canonical(b);
  return x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent;
}

/** A JSON number as sign, significant digits without leading or trailing zeros, and the exponent of the last digit. */
function canonical(text: string): { negative: boolean; digits: string; exponent: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) return { negative: false, digits: text, exponent: 0 };
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  let power = Number(exponent) - fraction.length;
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  power += trailing;
  if (digits === '') return { negative: false, digits: '0', exponent: 0 };
  return { negative: sign === '-', digits, exponent: power };
}

/**
 * What may be said of invalid JSON: where it broke, never the text. V8's own message quotes the body (a key
 * sent as a text body, or `key=…` form data, would reach the answer and the log).
 */
export function jsonSyntaxErrorMessage(error: unknown): string {
  const position = /at position (\d+)/.exec(String((error as Error | undefined)?.message))?.[1];
  return position === undefined
    ? 'request body is not valid JSON'
    : `request body is not valid JSON (at character ${position})`;
}
