import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  HookflowBodyGoneError,
  isHookflowBody,
  readHookflowBody,
  readHookflowPayload,
} from '../../../lib/read-hookflow-body';

const s3 = mockClient(S3Client);
const BODY = Buffer.from('{"order":1,"note":"€"}');
const reference = (body = BODY, contentType?: string) => ({
  hookflowBody: {
    bucket: 'bodies-bucket',
    key: 'bodies/ab/dlv_01KBX0000000000000000000AB',
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    ...(contentType === undefined ? {} : { contentType }),
  },
});
const objectOf = (bytes: Buffer) => ({ Body: { transformToByteArray: async () => new Uint8Array(bytes) } as never });

describe('readHookflowBody (for workflows)', () => {
  beforeEach(() => s3.reset());

  it('tells a reference from a payload', () => {
    expect(isHookflowBody(reference())).toBe(true);
    expect(isHookflowBody({ order: 1 })).toBe(false);
    expect(isHookflowBody({ hookflowBody: { bucket: 'b' } })).toBe(false);
    expect(isHookflowBody(null)).toBe(false);
  });

  it('reads the bytes the reference names, checked against its size and SHA-256', async () => {
    s3.on(GetObjectCommand, { Bucket: 'bodies-bucket', Key: reference().hookflowBody.key }).resolves(objectOf(BODY));

    const bytes = await readHookflowBody(reference(), { client: new S3Client({}) });

    expect(bytes.equals(BODY)).toBe(true);
  });

  it('refuses an object whose bytes are not the ones the reference names', async () => {
    s3.on(GetObjectCommand).resolves(objectOf(Buffer.from('{"order":2,"note":"€"}')));

    await expect(readHookflowBody(reference(), { client: new S3Client({}) })).rejects.toThrow(/SHA-256/);
  });

  it('says a body is gone when S3 answers NoSuchKey (expired after the delivery retention)', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    await expect(readHookflowBody(reference(), { client: new S3Client({}) })).rejects.toThrow(HookflowBodyGoneError);
  });

  it('gives the payload back: as it is when it was passed inline, parsed when it was stored', async () => {
    s3.on(GetObjectCommand).resolves(objectOf(BODY));
    const client = new S3Client({});

    await expect(readHookflowPayload({ order: 1 }, { client })).resolves.toEqual({ order: 1 });
    await expect(readHookflowPayload(reference(BODY, 'application/json'), { client })).resolves.toEqual({
      order: 1,
      note: '€',
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('gives a stored body that is not JSON back as its text', async () => {
    const text = Buffer.from('a=1&b=2');
    s3.on(GetObjectCommand).resolves(objectOf(text));

    await expect(
      readHookflowPayload(reference(text, 'application/x-www-form-urlencoded'), { client: new S3Client({}) }),
    ).resolves.toBe('a=1&b=2');
  });
});
