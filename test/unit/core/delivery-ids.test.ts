import {
  idRangeOf,
  indexPartitionOf,
  indexPartitions,
  isDeliveryId,
  newDeliveryId,
  pooledRandomFraction,
  receivedAtOf,
  ulidOf,
} from '../../../functions/core/deliveries/ids';

describe('delivery ids', () => {
  it('are dlv_ + a ULID that reads back the time it was received', () => {
    // Arrange
    const at = Date.UTC(2026, 11, 5, 10, 2, 0);

    // Act
    const id = newDeliveryId(at);

    // Assert
    expect(id).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isDeliveryId(id)).toBe(true);
    expect(receivedAtOf(id)).toBe(at);
  });

  it('sort by time, and strictly within one millisecond (the monotonic factory)', () => {
    // Arrange
    const at = Date.UTC(2026, 11, 5, 10, 2, 0);

    // Act
    const sameMs = Array.from({ length: 600 }, () => newDeliveryId(at));
    const later = newDeliveryId(at + 1);

    // Assert: more ids than one pool of random bytes holds, each greater than the one before
    for (let i = 1; i < sameMs.length; i++) expect(sameMs[i]! > sameMs[i - 1]!).toBe(true);
    expect(later > sameMs[sameMs.length - 1]!).toBe(true);
  });

  it('are random in their last 80 bits: ids of different milliseconds share no random part', () => {
    // Arrange
    const start = Date.UTC(2026, 11, 5);

    // Act
    const randomParts = Array.from({ length: 1_000 }, (_, i) => newDeliveryId(start + 10 * i).slice(-16));

    // Assert
    expect(new Set(randomParts).size).toBe(randomParts.length);
  });

  it('draw their random characters uniformly over all 32 base32 characters, one pooled byte each', () => {
    // Arrange
    const draws = 32 * 256;

    // Act
    const fractions = Array.from({ length: draws }, () => pooledRandomFraction());

    // Assert: each is a byte / 256 in [0, 1), and every character is reached (a missing one has odds < 2^-1000)
    expect(fractions.every((f) => f >= 0 && f < 1 && Number.isInteger(f * 256))).toBe(true);
    expect(new Set(fractions.map((f) => Math.floor(f * 32))).size).toBe(32);
  });

  it.each([
    ['no prefix', '01JEBX6Q2Z8K3V4M5N6P7Q8R9S'],
    ['too short', 'dlv_01JEBX6Q2Z'],
    ['not base32', 'dlv_01JEBX6Q2Z8K3V4M5N6P7Q8R9!'],
    ['3,000 characters', `dlv_${'0'.repeat(3_000)}`],
  ])('reject %s (a 404 to the API, never a 500)', (_, id) => {
    // Act + Assert
    expect(ulidOf(id)).toBeUndefined();
    expect(isDeliveryId(id)).toBe(false);
    expect(() => receivedAtOf(id)).toThrow('not a delivery id');
  });

  it('turn a time range into a key range holding every id received in it', () => {
    // Arrange: times later than any id this file made before (the factory never goes back in time, below)
    const from = Date.UTC(2027, 0, 5, 10, 0, 0);
    const to = Date.UTC(2027, 0, 5, 10, 59, 59, 999);
    const inside = [newDeliveryId(from), newDeliveryId(to)];

    // Act
    const { first, last } = idRangeOf(from, to);

    // Assert: the range holds them, and stops short of the milliseconds either side
    for (const id of inside) expect(id >= first && id <= last).toBe(true);
    expect(idRangeOf(from - 1, from - 1).last < first).toBe(true);
    expect(idRangeOf(to + 1, to + 1).first > last).toBe(true);
  });

  it('keep increasing when the clock steps back: the id takes the last time seen', () => {
    // Arrange
    const at = Date.UTC(2027, 1, 1);
    const before = newDeliveryId(at);

    // Act
    const afterStepBack = newDeliveryId(at - 60_000);

    // Assert
    expect(afterStepBack > before).toBe(true);
    expect(receivedAtOf(afterStepBack)).toBe(at);
  });

  it('pick an index partition among the shards, the same one every time', () => {
    // Arrange
    const ids = Array.from({ length: 200 }, (_, i) => newDeliveryId(Date.UTC(2026, 0, 1) + i));

    // Act
    const partitions = ids.map((id) => indexPartitionOf(id, 4));

    // Assert
    expect(new Set(partitions)).toEqual(new Set(indexPartitions(4)));
    expect(ids.map((id) => indexPartitionOf(id, 4))).toEqual(partitions);
  });
});
