import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../../core/outcomes';

/**
 * Run references: what a caller gets back for each queued item, and later resolves to its execution.
 * An item with a `uid` has a reference derived from the uid (so the same uid is the same run, whether it
 * came alone or in a batch); one without gets a random reference. Each maps to one dedupe key.
 */
export interface RunRef {
  readonly runRef: string;
  readonly dedupeKey: string;
}

export function runRefFor(uid: string | undefined): RunRef {
  if (uid !== undefined) {
    return { runRef: `u_${Buffer.from(uid, 'utf8').toString('base64url')}`, dedupeKey: `inbound#uid#${uid}` };
  }
  const id = randomUUID();
  return { runRef: `r_${id}`, dedupeKey: `inbound#ref#${id}` };
}

export function parseRunRef(runRef: string): RunRef {
  if (/^r_[0-9a-f-]{36}$/.test(runRef)) return { runRef, dedupeKey: `inbound#ref#${runRef.slice(2)}` };
  if (/^u_[A-Za-z0-9_-]{1,400}$/.test(runRef)) {
    return { runRef, dedupeKey: `inbound#uid#${Buffer.from(runRef.slice(2), 'base64url').toString('utf8')}` };
  }
  throw new InvalidInputError(`"${runRef.slice(0, 80)}" is not a run reference`);
}
