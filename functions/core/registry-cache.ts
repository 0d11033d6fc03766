import { type Clock, systemClock } from './clock';
import type { Registry, WebhookStore } from './ports';

/**
 * A short in-process cache of registry reads: once a handler is warm, flows, key records, secret hashes,
 * verifiers and workflow registrations come from memory instead of a GetItem or Query per request. The price
 * is staleness: a change to the registry (a key revoked, a secret rotated, a verifier set) reaches a warm
 * handler at most `ttlMs` later. Misses are cached too (a key that does not exist is as expensive to look up
 * as one that does), so the cache is bounded in entries: a flood of random keys evicts the oldest entries
 * and never grows memory past REGISTRY_CACHE_MAX_ENTRIES. A read that fails is not cached.
 *
 * Powertools Parameters (@aws-lambda-powertools/parameters) was considered first: docs/libraries.md says why
 * hookflow keeps these few lines instead.
 */

/** Most entries one handler instance keeps (hits and misses alike); the oldest goes first beyond it. */
export const REGISTRY_CACHE_MAX_ENTRIES = 1_000;

export interface TtlCacheSettings {
  /** How long an entry is served; 0 disables the cache (every read goes to the store). */
  readonly ttlMs: number;
  readonly maxEntries?: number;
  readonly now?: Clock;
  /**
   * Runs a load that concurrent requests share apart from the request that happened to start it, so that its
   * deadline (functions/http/http-handler.ts, `Deadline`) cannot cut the read short for the others (wired:
   * functions/adapters/aws/invocation-deadline.ts `outsideDeadline`). A read lands nothing, so it may run on.
   */
  readonly detach?: <T>(load: () => Promise<T>) => Promise<T>;
}

/**
 * Time-bounded, size-bounded memo of async loads. Concurrent loads of one key share one read (the local stack
 * serves many requests in one process; Lambda serves one at a time per instance).
 */
export class TtlCache {
  private readonly entries = new Map<string, { readonly value: Promise<unknown>; readonly expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly now: Clock;

  constructor(private readonly settings: TtlCacheSettings) {
    this.maxEntries = settings.maxEntries ?? REGISTRY_CACHE_MAX_ENTRIES;
    this.now = settings.now ?? systemClock;
  }

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.settings.ttlMs <= 0) return load();
    const now = this.now();
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.expiresAt > now) return cached.value as Promise<T>;
    if (cached !== undefined) this.entries.delete(key);
    const value = this.settings.detach === undefined ? load() : this.settings.detach(load);
    // Insertion order is age: the first key is the oldest entry.
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const entry = { value, expiresAt: now + this.settings.ttlMs };
    this.entries.set(key, entry);
    // A failed read is forgotten at once (only if it is still this entry), so the next request tries again.
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }
}

/**
 * `registry` with every read served from a TtlCache; the same wrapper serves the AWS registry and the fakes. It
 * caches the generic reads (an item by key, a partition), so it knows no style: each style's slice decodes what
 * it gets, from memory or from the table alike.
 * A cached item is shared by every hit: slices decode it into a new record and never change it.
 */
export function cachedRegistry(registry: Registry, settings: TtlCacheSettings): Registry {
  if (settings.ttlMs <= 0) return registry;
  const cache = new TtlCache(settings);
  // \u0000 cannot appear in a flow id, key hash or name read from a request path or header, so keys never collide.
  const key = (...parts: string[]) => parts.join('\u0000');
  return {
    getItem: (item) => cache.get(key('item', item.pk, item.sk), () => registry.getItem(item)),
    queryPartition: (pk) => cache.get(key('partition', pk), () => registry.queryPartition(pk)),
  };
}

/**
 * A webhook store whose `get` (a registered webhook with its secrets and bindings) is served from a TtlCache:
 * for the trigger route only, which reads and never writes. The admin API reads fresh: its secret rotation is
 * a compare-and-set on the secret it read.
 */
export function cachedWebhookReads(store: WebhookStore, settings: TtlCacheSettings): WebhookStore {
  if (settings.ttlMs <= 0) return store;
  const cache = new TtlCache(settings);
  return Object.assign(Object.create(store) as WebhookStore, {
    get: (id: string) => cache.get(id, () => store.get(id)),
  });
}
