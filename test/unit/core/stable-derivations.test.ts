import { indexPartitionOf } from '../../../functions/core/deliveries/ids';
import { processIdFor } from '../../../functions/styles/registered-webhooks/ids';

/*
 * Digests that name stored things: a version must derive them as every earlier version did, or it stops finding
 * what they wrote (a record under another index partition; a process under another id, so a retried trigger would
 * start a second process). The expected values were computed with createHash('sha256'), the derivations' first
 * form; a change to how the digest is taken must keep them. The deduped run's name is pinned the same way in
 * execution-name.test.ts.
 */
describe('stored names derived from SHA-256 stay the same across versions', () => {
  it.each([
    ['dlv_01KBQ0000000000000000000', 'd#5'],
    ['dlv_01KBQZZZZZZZZZZZZZZZZZZZ', 'd#8'],
    ['dlv_01KBQ5AB3CDE4FGH5JKM6NPQ', 'd#7'],
  ])('puts delivery %s in index partition %s of 16', (id, expected) => {
    // Act
    const partition = indexPartitionOf(id, 16);

    // Assert
    expect(partition).toBe(expected);
  });

  it("derives a registered webhook's process id from its webhook, Idempotency-Key and template", () => {
    // Act
    const id = processIdFor('wh_1', 'key-1', 'tpl_1');

    // Assert
    expect(id).toBe('SbzBaTU_YuZswLCA');
  });
});
