import { decodeItem } from '../../../functions/core/registration';
import * as z from '../../../functions/core/zod';

const schema = z.object({ pk: z.string(), name: z.string(), targets: z.array(z.object({ arn: z.string() })) });
const other = z.object({ pk: z.string(), name: z.string() });
const item = () => ({ pk: 'WORKFLOW#a', name: 'a', targets: [{ arn: 'arn:1' }] });

describe('decodeItem: a registry item decoded once per item object (the registry cache shares its items)', () => {
  it('answers the same record for the same item and schema, and decodes a new item object anew', () => {
    const shared = item();

    const first = decodeItem(schema, shared);
    const again = decodeItem(schema, shared);
    const fresh = decodeItem(schema, item());

    expect(again).toBe(first);
    expect(fresh).not.toBe(first);
    expect(fresh).toEqual(first);
  });

  it('decodes the same item by another schema by that schema', () => {
    const shared = item();

    const full = decodeItem(schema, shared);
    const slim = decodeItem(other, shared);

    expect(slim).toEqual({ pk: 'WORKFLOW#a', name: 'a' });
    expect(full.targets).toEqual([{ arn: 'arn:1' }]);
  });

  it('hands out a frozen record, nested values too: no request can change it for the next', () => {
    const record = decodeItem(schema, item());

    expect(() => {
      (record as { name: string }).name = 'b';
    }).toThrow(TypeError);
    expect(() => {
      (record.targets as { arn: string }[]).push({ arn: 'arn:2' });
    }).toThrow(TypeError);
    expect(decodeItem(schema, item()).name).toBe('a');
  });

  it('refuses a malformed item on every read, never keeping a result for it', () => {
    const malformed = { pk: 'WORKFLOW#b', name: 7, targets: [] };

    expect(() => decodeItem(schema, malformed)).toThrow('registry item WORKFLOW#b is malformed');
    expect(() => decodeItem(schema, malformed)).toThrow('registry item WORKFLOW#b is malformed');
  });
});
