import {
  UnsupportedJsonError,
  isRawJsonNumber,
  jsonSyntaxErrorMessage,
  parseJsonExact,
  parseJsonKeepingNumbers,
  sameDecimal,
} from '../../../functions/core/json';
import { parseJsonObject, parseJsonText } from '../../../functions/http/request';
import { httpAnswerOf } from '../../../functions/http/outcome-to-http';
import { InvalidInputError } from '../../../functions/core/outcomes';

describe('parseJsonExact: numbers reach the workflow as the sender wrote them', () => {
  it.each([
    ['an integer beyond 2^53', '{"id":1234567890123456789}'],
    ['a negative one', '{"id":-9007199254740993}'],
    ['a decimal with more digits than a double holds', '{"amount":0.10000000000000000001}'],
    ['an underflow to zero', '{"tiny":1e-400}'],
    ['one inside arrays and nested objects', '{"a":[1,{"b":[12345678901234567890123]}]}'],
    ['a top-level number', '98765432109876543210'],
  ])('keeps %s digit for digit', (_what, text) => {
    // Act
    const value = parseJsonExact(text);

    // Assert
    expect(JSON.stringify(value)).toBe(text);
  });

  it('leaves numbers a double holds exactly as plain numbers', () => {
    // Act
    const value = parseJsonExact('{"a":1.50,"b":1e2,"c":9007199254740991,"d":0.1,"e":1234567890123456.7}') as Record<
      string,
      unknown
    >;

    // Assert
    expect(value).toEqual({ a: 1.5, b: 100, c: 9007199254740991, d: 0.1, e: expect.anything() });
    expect(typeof value.a).toBe('number');
    expect(typeof value.c).toBe('number');
    // 1234567890123456.7 has 17 significant digits: a double holds 1234567890123456.8, so it is kept as written.
    expect(isRawJsonNumber(value.e)).toBe(true);
  });

  it.each(['1e400', '-1e400', '{"a":[1E+999]}'])('refuses %s, beyond the range of a double', (text) => {
    // Act / Assert
    expect(() => parseJsonExact(text)).toThrow(UnsupportedJsonError);
    expect(() => parseJsonExact(text)).toThrow('beyond the range of a double');
  });

  it.each([
    ['at the top', '{"__proto__":{"admin":true}}'],
    ['in a batch item', '{"workflow":"w","batch":[{"stateValues":{"__proto__":{"x":1}}}]}'],
    ['deep inside', '{"a":{"b":[{"__proto__":1}]}}'],
  ])('refuses a __proto__ key %s, the same on every path', (_where, text) => {
    // Act / Assert
    expect(() => parseJsonExact(text)).toThrow('the key "__proto__" is not accepted');
  });

  it('accepts "__proto__" as a string value', () => {
    // Act / Assert
    expect(parseJsonExact('{"note":"__proto__"}')).toEqual({ note: '__proto__' });
  });

  it('parseJsonKeepingNumbers (hookflow-written text) keeps numbers and refuses nothing', () => {
    // Act
    const value = parseJsonKeepingNumbers('{"__proto__":1,"big":1234567890123456789,"huge":1e400}');

    // Assert
    expect(Object.getOwnPropertyNames(value)).toEqual(['__proto__', 'big', 'huge']);
    expect(JSON.stringify(value)).toBe('{"__proto__":1,"big":1234567890123456789,"huge":1e400}');
  });
});

describe('sameDecimal', () => {
  it.each([
    ['1.5', '1.50', true],
    ['1.5', '15e-1', true],
    ['100', '1e2', true],
    ['0', '-0', true],
    ['0.000', '0', true],
    ['0.1', '0.10000000000000000001', false],
    ['1234567890123456800', '1234567890123456789', false],
    ['-1', '1', false],
  ])('%s and %s: %s', (a, b, same) => {
    expect(sameDecimal(a, b)).toBe(same);
  });
});

describe('invalid JSON never quotes the body', () => {
  const key = 'my-secret-api-key';

  it.each([
    ['a text body equal to a key', key],
    ['a form body holding a key', `key=${key}&name=x`],
    ['JSON broken after the key', `{"key":"${key}",}`],
    ['a quoted key, unterminated', `"${key}`],
  ])('%s', (_what, text) => {
    // Act
    let message = '';
    try {
      parseJsonText(text);
    } catch (error) {
      message = (error as Error).message;
    }

    // Assert
    expect(message).toMatch(/^request body is not valid JSON/);
    expect(message).not.toContain(key);
    expect(message).not.toContain(key.slice(0, 4));
  });

  it('says where the JSON broke when the parser knows', () => {
    // Act / Assert
    expect(
      jsonSyntaxErrorMessage(new SyntaxError("Expected ',' or '}' after property value in JSON at position 7")),
    ).toBe('request body is not valid JSON (at character 7)');
  });
});

describe('parseJsonObject', () => {
  it('names a big top-level number as a number', () => {
    // Act / Assert
    expect(() => parseJsonObject(Buffer.from('12345678901234567890'))).toThrow(
      'request body must be a JSON object, not a number',
    );
  });

  it('answers a __proto__ key with 400', () => {
    // Act
    let thrown: unknown;
    try {
      parseJsonObject(Buffer.from('{"__proto__":{}}'));
    } catch (error) {
      thrown = error;
    }

    // Assert: the outcome, and the answer the HTTP edge makes of it
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect(httpAnswerOf(thrown as InvalidInputError)).toMatchObject({
      statusCode: 400,
      body: JSON.stringify({ error: 'the key "__proto__" is not accepted in JSON bodies' }),
    });
  });
});
