import { dedupeExpiryOf, executionNameFor, randomExecutionName } from '../../../functions/core/runs/execution-name';

describe('dedupeExpiryOf: the claim expiry a deduped run name carries', () => {
  it("reads back the expiry executionNameFor put in the name (the run guard item's TTL)", () => {
    // Arrange
    const name = executionNameFor('flow#hello#key-1', 1_770_000_000_000, 1_770_086_400);

    // Act
    const expiry = dedupeExpiryOf(name);

    // Assert
    expect(expiry).toBe(1_770_086_400);
  });

  it.each([
    ['a random (unkeyed) name', randomExecutionName()],
    ['no expiry field', 'hf--abc'],
    ['an expiry that is not digits', 'hf-17x0-abc'],
    ['another prefix', 'xx-1770086400-abc'],
    ['no digest', 'hf-1770086400'],
  ])('is undefined for %s', (_, name) => {
    // Act
    const expiry = dedupeExpiryOf(name);

    // Assert
    expect(expiry).toBeUndefined();
  });
});
