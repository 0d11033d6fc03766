import type { BodyRef, BodyStore } from '../../functions/core/deliveries/log';
import { bodyKeyOf } from '../../functions/adapters/aws/s3-body-store';

/** The body store in memory: the S3 adapter's key layout, its calls counted, and a switch to make it fail. */
export class InMemoryBodyStore implements BodyStore {
  readonly objects = new Map<string, Buffer>();
  puts = 0;
  gets = 0;
  /** When set, every call throws it (S3 down, throttled, ...). */
  failWith: Error | undefined;

  constructor(readonly bucket = 'test-bodies') {}

  async put(deliveryId: string, raw: Buffer): Promise<BodyRef> {
    this.puts += 1;
    if (this.failWith !== undefined) throw this.failWith;
    const key = bodyKeyOf(deliveryId);
    this.objects.set(key, Buffer.from(raw));
    return { bucket: this.bucket, key };
  }

  async get(ref: BodyRef): Promise<Buffer | undefined> {
    this.gets += 1;
    if (this.failWith !== undefined) throw this.failWith;
    if (ref.bucket !== this.bucket) return undefined;
    const stored = this.objects.get(ref.key);
    return stored === undefined ? undefined : Buffer.from(stored);
  }
}
