import { dedupeExpiryOf, executionNameFor, randomExecutionName } from '../../../functions/core/runs/execution-name';

describe('executionNameFor: the derivation is fixed across versions', () => {
  // A claim outlives a deploy: a duplicate answered by the next version (or by the previous one, after a rollback)
  // must derive the very name the first version started, or Step Functions would start a second run. These names
  // were computed with createHash('sha256').update(key + NUL + createdAt).digest('base64url'), the derivation's
  // first form; any change to how the digest is taken must keep them.
  it.each([
    ['an ASCII key', 'flow#hello#key-1', 'hf-1770086400-JX9teIs2FPpg9Lj0UG1LTlEqR5Wjj55PniJ4IyMEPUE'],
    [
      'a key outside ASCII (UTF-8 bytes)',
      'flow#héllo#ключ',
      'hf-1770086400-j1wPcw0hUla1iPjFqgdeDoBelw3se8mElaoskRoA7Wg',
    ],
  ])('names a run for %s as every earlier version did', (_, key, expected) => {
    // Act
    const name = executionNameFor(key, 1_770_000_000_000, 1_770_086_400);

    // Assert
    expect(name).toBe(expected);
  });
});

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
