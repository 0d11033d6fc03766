import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s3BodyStoreDeps } from '../../../functions/adapters/aws/body-store';
import { S3BodyStore } from '../../../functions/adapters/aws/s3-body-store';
import { createBodiesBucket } from '../../../local/sqs/create-bucket';
import { type LocalSqs, startLocalSqs } from '../../../local/sqs/start-sqs';

jest.setTimeout(60_000);

/**
 * The S3 adapter against the local S3 (fauxqs, as `npm start` runs it), and each S3 behaviour hookflow relies on,
 * pinned: the local stack must answer as AWS does where hookflow depends on the answer.
 */
describe('S3BodyStore on the local S3 (fauxqs)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookflow-s3-'));
  let local: LocalSqs;
  let client: S3Client;
  beforeAll(async () => {
    local = await startLocalSqs('127.0.0.1', dataDir);
    client = new S3Client({
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await createBodiesBucket(client, 'hookflow-bodies', 7);
  });
  afterAll(async () => {
    client?.destroy();
    await local?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every byte as sent: binary, invalid UTF-8, empty', async () => {
    const store = new S3BodyStore(client, 'hookflow-bodies', s3BodyStoreDeps);
    const raw = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0xe2, 0x82])]);

    const ref = await store.put('dlv_01KBX0000000000000000000AB', raw);
    const empty = await store.put('dlv_01KBX0000000000000000000AC', Buffer.alloc(0));

    expect((await store.get(ref))!.equals(raw)).toBe(true);
    expect((await store.get(empty))!.length).toBe(0);
  });

  it('keeps a 1 MB body whole', async () => {
    const store = new S3BodyStore(client, 'hookflow-bodies', s3BodyStoreDeps);
    const raw = Buffer.alloc(1024 * 1024, 'é');

    const got = await store.get(await store.put('dlv_01KBX0000000000000000000AD', raw));

    expect(createHash('sha256').update(got!).digest('hex')).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  // AWS: "If the object you request doesn't exist ... NoSuchKey" (404), for a caller with s3:ListBucket
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). The adapter reads it as "gone".
  it('answers GetObject of a missing key with NoSuchKey (404), which the adapter reads as gone', async () => {
    const missing = client.send(new GetObjectCommand({ Bucket: 'hookflow-bodies', Key: 'bodies/00/dlv_missing' }));

    await expect(missing).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(
      new S3BodyStore(client, 'hookflow-bodies', s3BodyStoreDeps).get({
        bucket: 'hookflow-bodies',
        key: 'bodies/00/dlv_missing',
      }),
    ).resolves.toBeUndefined();
  });

  // AWS: NoSuchBucket (404) (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). A bucket that
  // is not there is a fault of the deployment, never "gone" and never "busy": the adapter passes it on.
  it('answers a missing bucket with NoSuchBucket, which the adapter passes on', async () => {
    const store = new S3BodyStore(client, 'no-such-bucket', s3BodyStoreDeps);

    await expect(store.put('dlv_01KBX0000000000000000000AE', Buffer.from('x'))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    await expect(store.get({ bucket: 'no-such-bucket', key: 'bodies/00/x' })).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  // AWS refuses a PutObject whose x-amz-checksum-sha256 does not match the bytes (BadDigest,
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html). fauxqs stores checksums
  // "as-is — no body validation is performed" (its README): a known local difference (docs/aws-fidelity.md),
  // pinned here so that a fauxqs that starts checking shows up. hookflow computes the checksum from the bytes it
  // sends, so the difference never changes what a request gets locally.
  it('does not check a PutObject checksum locally (AWS does): a pinned difference', async () => {
    const put = client.send(
      new PutObjectCommand({
        Bucket: 'hookflow-bodies',
        Key: 'bodies/00/checksum',
        Body: Buffer.from('these bytes'),
        ChecksumSHA256: createHash('sha256').update('other bytes').digest('base64'),
      }),
    );

    await expect(put).resolves.toBeDefined();
  });
});
