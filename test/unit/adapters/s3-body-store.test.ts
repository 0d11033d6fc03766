import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { lazyS3BodyStore, s3BodyStoreDeps } from '../../../functions/adapters/aws/body-store';
import { S3BodyStore, bodyKeyOf } from '../../../functions/adapters/aws/s3-body-store';
import { DomainError, EngineBusyError } from '../../../functions/core/outcomes';
import { httpAnswerOf } from '../../../functions/http/outcome-to-http';

const s3 = mockClient(S3Client);
const DELIVERY = 'dlv_01KBX0000000000000000000AB';
/** Every byte value, and bytes that are not valid UTF-8: nothing may be decoded or re-encoded on the way. */
const RAW = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0xe2, 0x82])]);

const s3Error = (name: string, fault: 'client' | 'server', status: number) =>
  new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: name });

describe('S3BodyStore', () => {
  beforeEach(() => s3.reset());

  it('keys objects by delivery, behind two hex digits of its hash', () => {
    expect(bodyKeyOf(DELIVERY)).toBe(
      `bodies/${createHash('sha256').update(DELIVERY).digest('hex').slice(0, 2)}/${DELIVERY}`,
    );
    // A burst of ids (one millisecond, consecutive) lands on many prefixes, not one.
    const prefixes = new Set(
      Array.from({ length: 100 }, (_, i) =>
        bodyKeyOf(`dlv_01KBX00000000000000000${String(i).padStart(4, '0')}`).slice(0, 9),
      ),
    );
    expect(prefixes.size).toBeGreaterThan(50);
  });

  it('puts the raw bytes as they are, with their SHA-256 for S3 to check', async () => {
    s3.on(PutObjectCommand).resolves({});

    const ref = await new S3BodyStore(new S3Client({}), 'bodies-bucket', s3BodyStoreDeps).put(DELIVERY, RAW);

    expect(ref).toEqual({ bucket: 'bodies-bucket', key: bodyKeyOf(DELIVERY) });
    const [call] = s3.commandCalls(PutObjectCommand);
    expect(call!.args[0].input).toEqual({
      Bucket: 'bodies-bucket',
      Key: bodyKeyOf(DELIVERY),
      Body: RAW,
      ContentType: 'application/octet-stream',
      ChecksumSHA256: createHash('sha256').update(RAW).digest('base64'),
    });
  });

  it('gets the bytes back', async () => {
    // The SDK's stream body, as far as the adapter reads it.
    s3.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => new Uint8Array(RAW) } as never });

    const got = await new S3BodyStore(new S3Client({}), 'b', s3BodyStoreDeps).get({ bucket: 'b', key: 'bodies/00/x' });

    expect(got!.equals(RAW)).toBe(true);
  });

  it('reads NoSuchKey (expired, or never written) as gone: undefined', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    await expect(
      new S3BodyStore(new S3Client({}), 'b', s3BodyStoreDeps).get({ bucket: 'b', key: 'k' }),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['SlowDown', 'server', 503],
    ['ServiceUnavailable', 'server', 503],
    ['InternalError', 'server', 500],
  ] as const)('answers busy on %s, so the sender is told to retry', async (name, fault, status) => {
    s3.on(PutObjectCommand).rejects(s3Error(name, fault, status));
    s3.on(GetObjectCommand).rejects(s3Error(name, fault, status));
    const store = new S3BodyStore(new S3Client({}), 'b', s3BodyStoreDeps);

    await expect(store.put(DELIVERY, RAW)).rejects.toThrow(EngineBusyError);
    await expect(store.get({ bucket: 'b', key: 'k' })).rejects.toThrow(EngineBusyError);
  });

  it('lets a real fault through (a missing bucket, a denied call): not a reason to retry', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('NoSuchBucket', 'client', 404));
    s3.on(GetObjectCommand).rejects(s3Error('AccessDenied', 'client', 403));
    const store = new S3BodyStore(new S3Client({}), 'b', s3BodyStoreDeps);

    await expect(store.put(DELIVERY, RAW)).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(store.get({ bucket: 'b', key: 'k' })).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  /*
   * Deployed, the store is a second bundle with its own copy of every module it imports (lib/handler-bundling.ts,
   * BODY_STORE): an error class of its own would fail the handler's `instanceof DomainError`, and S3 down would
   * be answered 500. test/infra/handler-bundling.test.ts proves it on the built files; these prove the wiring.
   */
  it('makes its busy error with what it is handed (the handler’s own class), never a class of its own', async () => {
    // Arrange
    class HandlersBusy extends Error {}
    s3.on(PutObjectCommand).rejects(s3Error('SlowDown', 'server', 503));
    const store = new S3BodyStore(new S3Client({}), 'b', {
      ...s3BodyStoreDeps,
      busy: (message) => new HandlersBusy(message),
    });

    // Act
    const failure = store.put(DELIVERY, RAW);

    // Assert
    await expect(failure).rejects.toBeInstanceOf(HandlersBusy);
  });

  it.each([
    ['SlowDown', s3Error('SlowDown', 'server', 503)],
    ['a connection cut', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('is answered 503 with Retry-After when S3 fails (%s), through the store the handlers load', async (_, error) => {
    // Arrange
    s3.on(PutObjectCommand).rejects(error);
    const store = lazyS3BodyStore('hookflow-bodies');

    // Act
    const failure = await store.put(DELIVERY, RAW).catch((e: unknown) => e);

    // Assert
    expect(failure).toBeInstanceOf(EngineBusyError);
    const answer = httpAnswerOf(failure as DomainError);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['retry-after']).toMatch(/^\d+$/);
  });
});
