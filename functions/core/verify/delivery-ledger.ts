/**
 * The replay ledger's rules, stated once (as BaseDedupeStore states the dedupe claim's): the DynamoDB ledger
 * (adapters/aws/dynamodb-delivery-ledger.ts) writes each as a condition expression, the in-memory ledger of the
 * tests evaluates these very functions, and test/unit/adapters/delivery-ledger-contract.test.ts runs the same
 * cases through both. Times are epoch seconds.
 */
export interface LedgerEntry {
  /**
   * The request that claimed it. Entries written before leases existed carry neither `owner` nor `leaseUntil`:
   * with no lease to run out they count as accepted until they expire.
   */
  readonly owner?: string;
  readonly leaseUntil?: number;
  /** The end of the replay window: past it the entry counts as absent (TTL deletes it up to days late). */
  readonly expiresAt: number;
  /** The owner's run started (`acceptedAt` in DynamoDB). */
  readonly accepted: boolean;
}

/**
 * Whether a new copy of the delivery may claim it: no entry, an entry past its window, or a pending entry whose
 * owner's lease ran out (it died between its claim and its start).
 */
export function isClaimable(entry: LedgerEntry | undefined, now: number): boolean {
  if (entry === undefined || entry.expiresAt < now) return true;
  return !entry.accepted && entry.leaseUntil !== undefined && entry.leaseUntil < now;
}

/**
 * A live entry whose owner has not started its run yet (or died before it could): a copy refused now is told to
 * retry once the lease has run out, not that the delivery was accepted. Entries without a lease count as accepted.
 */
export function isPending(entry: LedgerEntry | undefined, now: number): entry is LedgerEntry & { leaseUntil: number } {
  return entry !== undefined && !entry.accepted && entry.leaseUntil !== undefined && entry.expiresAt >= now;
}

/** Only the entry's owner marks it accepted (a copy that took it over owns it now). */
export function mayConfirm(entry: LedgerEntry | undefined, owner: string): boolean {
  return entry?.owner === owner;
}

/** Only the owner removes its entry, and only while pending: an accepted delivery stays remembered. */
export function mayRelease(entry: LedgerEntry | undefined, owner: string): boolean {
  return entry?.owner === owner && !entry.accepted;
}
