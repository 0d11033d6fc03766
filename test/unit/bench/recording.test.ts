import { indexEntry, itemBytes, numberBytes, writeUnits } from '../../../bench/lib/item-size';
import { comparePaired } from '../../../bench/lib/paired';
import { benchConfig, UNRECORDED_FLOW } from '../../../bench/lib/stack';
import { recordingCost } from '../../../bench/parts/cost';
import {
  type DeliveriesComparison,
  type DeliveriesSide,
  writeUnitsPerRequest,
  writtenItem,
} from '../../../bench/parts/deliveries';

describe('bench item sizes (DynamoDB item sizes and formats)', () => {
  it('sizes names and values the way DynamoDB bills them', () => {
    // Arrange
    const item = {
      pk: { S: 'dlv#é' }, // 2 + 6 (é is 2 bytes in UTF-8)
      n: { N: '1234500' }, // 1 + ceil(5 / 2) + 1 (trailing zeroes trimmed)
      b: { B: new Uint8Array(10) }, // 1 + 10
      ok: { BOOL: true }, // 2 + 1
      m: { M: { a: { S: 'xy' } } }, // 1 + 3 + (1 + 1 + 2)
      l: { L: [{ S: 'x' }, { NULL: true }] }, // 1 + 3 + (1 + 1) + (1 + 1)
    };

    // Act
    const bytes = itemBytes(item);

    // Assert
    expect(numberBytes('0.0012300')).toBe(3);
    expect(bytes).toBe(8 + 5 + 11 + 3 + 8 + 8);
  });

  it('bills one write unit per KB, rounded up, at least one', () => {
    // Arrange
    const sizes = [0, 1024, 1025, 5462];

    // Act
    const units = sizes.map(writeUnits);

    // Assert
    expect(units).toEqual([1, 1, 2, 6]);
  });

  it('keeps the keys and projected attributes in an index entry, and none without the index keys', () => {
    // Arrange
    const record = {
      pk: { S: 'dlv#1' },
      dPk: { S: 'd#0' },
      dSk: { S: '1' },
      outcome: { S: 'started' },
      body: { S: 'x' },
    };
    const claim = { pk: { S: 'flow-trigger#k' }, expiresAt: { N: '1' } };

    // Act
    const entry = indexEntry(record, ['pk'], ['dPk', 'dSk'], ['outcome']);
    const none = indexEntry(claim, ['pk'], ['dPk', 'dSk'], ['outcome']);

    // Assert
    expect(entry).toEqual({ pk: record.pk, dPk: record.dPk, dSk: record.dSk, outcome: record.outcome });
    expect(none).toBeUndefined();
  });
});

describe('bench delivery recording', () => {
  it("adds an unrecorded copy of the hello flow to the bench stack's config only", () => {
    // Arrange
    const config = { flows: [{ flowId: 'hello', workflow: 'hookflow-echo', published: true }], apiKeys: [] };

    // Act
    const bench = benchConfig(config);

    // Assert
    expect(bench.flows).toEqual([
      config.flows[0],
      { flowId: UNRECORDED_FLOW, workflow: 'hookflow-echo', published: true, recordDeliveries: false },
    ]);
    expect(config.flows).toHaveLength(1);
  });

  it("counts the item's writes with its index entry, and other items' writes at one unit", () => {
    // Arrange
    const record = writtenItem({
      pk: { S: 'dlv#1' },
      dPk: { S: 'd#0' },
      dSk: { S: '1' },
      body: { S: 'x'.repeat(2000) },
    });
    const claim = writtenItem({ pk: { S: 'flow-trigger#k' } });

    // Act
    // The claim's PutItem and UpdateItem, and the run guard's PutItem (another item, under 1 KB).
    const keyedExpress = writeUnitsPerRequest({ 'DynamoDB.PutItem': 2, 'DynamoDB.UpdateItem': 1 }, record);
    const plain = writeUnitsPerRequest({ 'DynamoDB.PutItem': 1, 'SFN.StartExecution': 1 }, claim);
    const none = writeUnitsPerRequest({ 'SFN.StartExecution': 1 }, undefined);

    // Assert
    expect(record).toMatchObject({ writeUnits: 2, indexWriteUnits: 1 });
    expect(keyedExpress).toBe(7);
    expect(plain).toBe(1);
    expect(none).toBe(0);
  });

  it('prices what the recorded side adds: write units, S3 PUTs, storage for the retention, extra duration', () => {
    // Arrange
    const side = (label: string, calls: Record<string, number>, item?: DeliveriesSide['item']): DeliveriesSide => ({
      label,
      request: { flow: 'hello', keyed: false, bodyBytes: 5000 },
      calls,
      ...(item === undefined ? {} : { item }),
      writeUnitsPerRequest: writeUnitsPerRequest(calls, item),
    });
    const item = { bytes: 900, writeUnits: 1, indexBytes: 300, indexWriteUnits: 1 };
    const comparison: DeliveriesComparison = {
      name: 'unkeyed',
      description: '',
      a: side('recorded', { 'DynamoDB.PutItem': 1, 'S3.PutObject': 1 }, item),
      b: side('not recorded', {}),
      latency: comparePaired([12, 12, 12], [10, 10, 10]),
    };

    // Act
    const cost = recordingCost(comparison, 30);

    // Assert
    const perMillion = Object.fromEntries(cost.lines.map((l) => [l.item, l.perMillion]));
    expect(perMillion['DynamoDB write units (on-demand)']).toBe(1.25); // 2 WRU × $0.625
    expect(perMillion['S3 PUT (body store)']).toBe(5);
    // (1,400 B × $0.25 + 5,000 B × $0.023) per GB-month, kept a month, per million.
    expect(perMillion['Storage for the 30-day retention']).toBeCloseTo(1400e-3 * 0.25 + 5000e-3 * 0.023, 4);
    expect(perMillion['Lambda duration (arm64, 256 MB)']).toBeCloseTo(0.25 * 0.002 * 0.0000133334 * 1e6, 4);
    expect(cost.total).toBeCloseTo(
      cost.lines.reduce((t, l) => t + l.perMillion, 0),
      3,
    );
  });
});
