import { sha256Hex } from '../../../functions/core/auth/secrets';
import { readApiKey } from '../../../functions/core/auth/api-keys';
import { readFlow } from '../../../functions/styles/flow-trigger/registration';
import { cachedRegistry, cachedWebhookReads, TtlCache } from '../../../functions/core/registry-cache';
import { FakeRegistry, InMemoryWebhookStore } from '../../support/fakes';

/** The fake registry, counting the reads that reach it (named by the kind of item: a key, a flow). */
function counted(registry: FakeRegistry) {
  const reads: string[] = [];
  const getItem = registry.getItem.bind(registry);
  registry.getItem = async (key) => {
    const [kind = '', id = ''] = key.pk.split(/#(.*)/s);
    reads.push(kind === 'APIKEY' ? `key ${id.slice(0, 6)}` : `${kind.toLowerCase()} ${id}`);
    return getItem(key);
  };
  return reads;
}

/** Records the first argument of every call of `method` that reaches `target`. */
function recordCalls<T extends object>(target: T, method: keyof T & string): unknown[] {
  const calls: unknown[] = [];
  const original = (target[method] as (...args: unknown[]) => unknown).bind(target);
  Object.assign(target, {
    [method]: (...args: unknown[]) => {
      calls.push(args[0]);
      return original(...args);
    },
  });
  return calls;
}

describe('the registry cache (functions/core/registry-cache.ts)', () => {
  it('serves a read from memory within the TTL and reads again after it: a revoked key works until then', async () => {
    // Arrange
    const clock = { now: 1_000 };
    const store = new FakeRegistry().addApiKey('k1', { keyId: 'one' });
    const reads = counted(store);
    const registry = cachedRegistry(store, { ttlMs: 5_000, now: () => clock.now });
    const hash = sha256Hex('k1');

    // Act
    const first = await readApiKey(registry, hash);
    store.addApiKey('k1', { keyId: 'one', disabled: true }); // revoked in the store
    clock.now += 4_999;
    const withinTtl = await readApiKey(registry, hash);
    clock.now += 1;
    const afterTtl = await readApiKey(registry, hash);

    // Assert
    expect([first?.disabled, withinTtl?.disabled, afterTtl?.disabled]).toEqual([false, false, true]);
    expect(reads).toHaveLength(2);
  });

  it('caches a miss too, so a missing key costs one read per TTL', async () => {
    const clock = { now: 0 };
    const store = new FakeRegistry();
    const reads = counted(store);
    const registry = cachedRegistry(store, { ttlMs: 5_000, now: () => clock.now });

    const answers = [
      await readFlow(registry, 'nope'),
      await readFlow(registry, 'nope'),
      await readFlow(registry, 'nope'),
    ];

    expect(answers).toEqual([undefined, undefined, undefined]);
    expect(reads).toEqual(['flow nope']);
  });

  it('keeps at most maxEntries: a flood of random keys evicts the oldest and never grows past the bound', async () => {
    const cache = new TtlCache({ ttlMs: 60_000, maxEntries: 3 });
    const loads: string[] = [];
    const load = (key: string) => cache.get(key, async () => loads.push(key));

    for (const key of ['a', 'b', 'c', 'd', 'e']) await load(key);
    await load('e'); // still cached
    await load('a'); // evicted: read again

    expect(cache.size).toBe(3);
    expect(loads).toEqual(['a', 'b', 'c', 'd', 'e', 'a']);
  });

  it('does not cache a failed read: the next request reads again', async () => {
    const cache = new TtlCache({ ttlMs: 60_000 });
    let calls = 0;
    const read = () =>
      cache.get('flow', async () => {
        calls += 1;
        if (calls === 1) throw new Error('throttled');
        return 'ok';
      });

    await expect(read()).rejects.toThrow('throttled');
    await expect(read()).resolves.toBe('ok');
    expect(calls).toBe(2);
  });

  it('shares one read between concurrent requests for the same item', async () => {
    const cache = new TtlCache({ ttlMs: 60_000 });
    let calls = 0;
    const read = () => cache.get('flow', async () => ++calls);

    const answers = await Promise.all([read(), read(), read()]);

    expect(answers).toEqual([1, 1, 1]);
  });

  it('with a TTL of 0 reads the registry every time', async () => {
    const store = new FakeRegistry().addFlow({ flowId: 'hello' });
    const reads = counted(store);
    const registry = cachedRegistry(store, { ttlMs: 0 });

    await readFlow(registry, 'hello');
    await readFlow(registry, 'hello');

    expect(reads).toEqual(['flow hello', 'flow hello']);
  });

  it('caches a partition apart from an item of the same pk, so neither answers for the other', async () => {
    // Arrange
    const store = new FakeRegistry().put(
      { pk: 'EVENTSUB#a', sk: 'r1', ref: 'r1' },
      { pk: 'EVENTSUB#a', sk: 'EVENTSUB#a' },
    );
    const queries = recordCalls(store, 'queryPartition');
    const registry = cachedRegistry(store, { ttlMs: 5_000 });

    // Act
    const partition = [await registry.queryPartition('EVENTSUB#a'), await registry.queryPartition('EVENTSUB#a')];
    const item = await registry.getItem({ pk: 'EVENTSUB#a', sk: 'EVENTSUB#a' });

    // Assert
    expect(partition.map((items) => items.length)).toEqual([2, 2]);
    expect(item).toEqual({ pk: 'EVENTSUB#a', sk: 'EVENTSUB#a' });
    expect(queries).toEqual(['EVENTSUB#a']);
  });

  it('serves a registered webhook from memory to the trigger route, and leaves the store’s writes as they are', async () => {
    const store = new InMemoryWebhookStore();
    const reads = recordCalls(store, 'get');
    const cached = cachedWebhookReads(store, { ttlMs: 5_000 });

    const answers = [await cached.get('w1'), await cached.get('w1')];
    await cached.unbind('w1', 't1');

    expect(answers).toEqual([undefined, undefined]);
    expect(reads).toEqual(['w1']);
  });
});
