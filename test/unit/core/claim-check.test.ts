import { createHash } from 'node:crypto';
import {
  STEP_FUNCTIONS_MAX_INPUT_BYTES,
  fitsRunInput,
  isHookflowBodyReference,
  makeClaimCheck,
  runInputBytes,
} from '../../../functions/core/runs/claim-check';
import { EngineBusyError, TooLargeError } from '../../../functions/core/outcomes';
import { InMemoryBodyStore } from '../../support/in-memory-body-store';

/** `{"p":"<text>"}`: 8 bytes of JSON around the text. */
const inputOf = (text: string) => ({ p: text });
const ENVELOPE = runInputBytes(inputOf(''));

describe('the run input size rule', () => {
  it('measures the serialized input in UTF-8 bytes, as Step Functions does', () => {
    expect(runInputBytes({ p: 'é' })).toBe(ENVELOPE + 2);
    expect(runInputBytes({ p: '€' })).toBe(ENVELOPE + 3);
    expect(runInputBytes({ p: '😀' })).toBe(ENVELOPE + 4);
    // JSON escapes count as written: a quote is two bytes, a control character six.
    expect(runInputBytes({ p: '"' })).toBe(ENVELOPE + 2);
    expect(runInputBytes({ p: '\u0001' })).toBe(ENVELOPE + 6);
  });

  it('takes an input of exactly 256 KiB and refuses one byte more', () => {
    const exactly = inputOf('a'.repeat(STEP_FUNCTIONS_MAX_INPUT_BYTES - ENVELOPE));
    const oneOver = inputOf('a'.repeat(STEP_FUNCTIONS_MAX_INPUT_BYTES - ENVELOPE + 1));

    expect(runInputBytes(exactly)).toBe(262_144);
    expect(fitsRunInput(exactly)).toBe(true);
    expect(fitsRunInput(oneOver)).toBe(false);
  });

  it('counts multi-byte characters near the edge by their bytes, not their length', () => {
    // 2 bytes short of the limit in ASCII, then one 3-byte character: one byte over, though its length fits.
    const nearEdge = inputOf(`${'a'.repeat(STEP_FUNCTIONS_MAX_INPUT_BYTES - ENVELOPE - 2)}€`);
    const atEdge = inputOf(`${'a'.repeat(STEP_FUNCTIONS_MAX_INPUT_BYTES - ENVELOPE - 3)}€`);

    expect(JSON.stringify(nearEdge).length).toBeLessThan(STEP_FUNCTIONS_MAX_INPUT_BYTES);
    expect(fitsRunInput(nearEdge)).toBe(false);
    expect(fitsRunInput(atEdge)).toBe(true);
  });
});

describe('the claim-check', () => {
  const build = (payload: unknown) => ({ payload, trigger: { style: 'test' } });

  it('passes an input that fits as it is, without calling the store', async () => {
    const bodies = new InMemoryBodyStore();
    const payload = { hello: 'world' };

    const input = await makeClaimCheck({ bodies })({ payload, build, raw: Buffer.from(JSON.stringify(payload)) });

    expect(input).toEqual({ payload, trigger: { style: 'test' } });
    expect(bodies.puts).toBe(0);
  });

  it('stores a body whose input would pass the limit, and puts one reference in the payload’s place', async () => {
    const bodies = new InMemoryBodyStore('my-bucket');
    const payload = { blob: 'x'.repeat(300_000) };
    const raw = Buffer.from(JSON.stringify(payload));

    const input = await makeClaimCheck({ bodies })({ payload, build, raw, contentType: 'application/json' });

    expect(bodies.puts).toBe(1);
    expect(input.trigger).toEqual({ style: 'test' });
    expect(isHookflowBodyReference(input.payload)).toBe(true);
    const [key] = [...bodies.objects.keys()];
    expect(input.payload).toEqual({
      hookflowBody: {
        bucket: 'my-bucket',
        key,
        bytes: raw.length,
        sha256: createHash('sha256').update(raw).digest('hex'),
        contentType: 'application/json',
      },
    });
    expect(bodies.objects.get(key!)!.equals(raw)).toBe(true);
    expect(key).toMatch(/^bodies\/[0-9a-f]{2}\/dlv_[0-9A-Z]{26}$/);
  });

  it('asks for bytes given as a function only when the input is too large, and then once', async () => {
    const bodies = new InMemoryBodyStore();
    const small = { hello: 'world' };
    const large = { blob: 'x'.repeat(300_000) };
    const raw = Buffer.from(JSON.stringify(large));
    const calls = { small: 0, large: 0 };

    const fits = await makeClaimCheck({ bodies })({
      payload: small,
      build,
      raw: () => {
        calls.small += 1;
        return Buffer.from(JSON.stringify(small));
      },
    });
    const checked = await makeClaimCheck({ bodies })({
      payload: large,
      build,
      raw: () => {
        calls.large += 1;
        return raw;
      },
    });

    expect(fits).toEqual({ payload: small, trigger: { style: 'test' } });
    expect(calls).toEqual({ small: 0, large: 1 });
    const [key] = [...bodies.objects.keys()];
    expect(bodies.objects.get(key!)!.equals(raw)).toBe(true);
    expect(checked.payload).toMatchObject({
      hookflowBody: { bytes: raw.length, sha256: createHash('sha256').update(raw).digest('hex') },
    });
  });

  it('refuses with 413 (too large) when no store is configured', async () => {
    const payload = { blob: 'x'.repeat(300_000) };

    await expect(makeClaimCheck({})({ payload, build, raw: Buffer.from('x') })).rejects.toThrow(TooLargeError);
  });

  it('refuses with 413 when the input is too large even with the body stored apart', async () => {
    const bodies = new InMemoryBodyStore();
    const hugeHeaders = (payload: unknown) => ({ payload, headers: 'h'.repeat(STEP_FUNCTIONS_MAX_INPUT_BYTES) });

    await expect(
      makeClaimCheck({ bodies })({ payload: {}, build: hugeHeaders, raw: Buffer.from('{}') }),
    ).rejects.toThrow(TooLargeError);
  });

  it('answers busy (503, nothing started) when the store fails', async () => {
    const bodies = new InMemoryBodyStore();
    bodies.failWith = new Error('connect ECONNREFUSED');
    const payload = { blob: 'x'.repeat(300_000) };

    const attempt = makeClaimCheck({ bodies })({ payload, build, raw: Buffer.from('x') });

    await expect(attempt).rejects.toThrow(EngineBusyError);
    await expect(attempt).rejects.toMatchObject({ mayHaveStarted: false });
  });

  it('names the object after the delivery it is given', async () => {
    const bodies = new InMemoryBodyStore();
    const payload = { blob: 'x'.repeat(300_000) };

    const input = await makeClaimCheck({ bodies })({
      payload,
      build,
      raw: Buffer.from('x'),
      deliveryId: 'dlv_01JABCDEFGHJKMNPQRSTVWXYZ0',
    });

    expect((input.payload as { hookflowBody: { key: string } }).hookflowBody.key).toMatch(
      /^bodies\/[0-9a-f]{2}\/dlv_01JABCDEFGHJKMNPQRSTVWXYZ0$/,
    );
  });
});
