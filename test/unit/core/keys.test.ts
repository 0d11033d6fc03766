import { KEY_PART_MAX_BYTES, compositeKey, keyPart } from '../../../functions/core/keys';

/** Issue 15, defects 8 and 10: composite keys are unambiguous and never longer than DynamoDB takes. */
describe('compositeKey', () => {
  it.each([
    ['a "#" inside a part', ['/shop#X', 'order-1', 'ref'], ['/shop', 'X#order-1', 'ref']],
    ['an escaped-looking part', ['a%23b', 'c'], ['a#b', 'c']],
    ['a literal hash marker', ['%h' + 'A'.repeat(43)], ['x'.repeat(KEY_PART_MAX_BYTES + 1)]],
    ['parts moved across the separator', ['a#', 'b'], ['a', '#b']],
    ['an empty part', ['', 'a#b'], ['#a', 'b']],
  ])('keeps %s apart', (_name, one, other) => {
    expect(compositeKey('event', ...one)).not.toBe(compositeKey('event', ...other));
  });

  it('keeps the layout of plain parts as it was', () => {
    expect(compositeKey('flow-trigger', 'hello', 'local-dev', 'order-42')).toBe(
      'flow-trigger#hello#local-dev#order-42',
    );
    expect(compositeKey('event', '/shop', 'evt-1', 'order-echo')).toBe('event#/shop#evt-1#order-echo');
  });

  it.each([
    ['3,000 ASCII characters', 'x'.repeat(3000)],
    ['3,000 four-byte characters', '😀'.repeat(3000)],
    ['3,000 two-byte characters', 'é'.repeat(3000)],
    ['3,000 "#"s (each escaped to 3 bytes)', '#'.repeat(3000)],
  ])('hashes a long part (%s) so that four of them fit a DynamoDB partition key', (_name, long) => {
    const key = compositeKey('event', long, long, long, long);

    expect(Buffer.byteLength(`delivery#${key}`)).toBeLessThanOrEqual(2048);
    expect(keyPart(long)).toMatch(/^%h[A-Za-z0-9_-]{43}$/);
    expect(keyPart(long)).not.toBe(keyPart(`${long}x`));
  });

  it('keeps a part of exactly KEY_PART_MAX_BYTES as written, hashes one byte more', () => {
    expect(keyPart('a'.repeat(KEY_PART_MAX_BYTES))).toBe('a'.repeat(KEY_PART_MAX_BYTES));
    expect(keyPart('a'.repeat(KEY_PART_MAX_BYTES + 1))).toMatch(/^%h/);
  });
});
