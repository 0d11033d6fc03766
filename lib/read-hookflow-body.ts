/**
 * For workflows: reading a body hookflow kept apart from the run's input (the claim-check, issue 19). A run whose
 * input would pass Step Functions' 256 KiB gets `{"hookflowBody": {"bucket", "key", "bytes", "sha256",
 * "contentType"}}` where its payload would be (docs/request-bodies.md, "Large bodies"); a Lambda task turns it
 * back into the bytes with `readHookflowBody`, or into the payload with `readHookflowPayload`. The task's role
 * needs `hooks.grantReadBodies(fn)`.
 *
 * Import it from `hookflow/body` in a Lambda function: that entry loads neither aws-cdk-lib nor the construct.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { type HookflowBodyReference, isHookflowBodyReference } from '../functions/core/runs/body-reference';

export type { HookflowBodyReference } from '../functions/core/runs/body-reference';

/** Whether `value` (what a run's input holds where its payload would be) is a reference to a stored body. */
export function isHookflowBody(value: unknown): value is HookflowBodyReference {
  return isHookflowBodyReference(value);
}

/** The stored body is gone: expired after the delivery retention (DELIVERY_RETENTION_DAYS), or never written. */
export class HookflowBodyGoneError extends Error {
  constructor(readonly reference: HookflowBodyReference) {
    super(`the body s3://${reference.hookflowBody.bucket}/${reference.hookflowBody.key} is gone (expired or removed)`);
    this.name = 'HookflowBodyGoneError';
  }
}

export interface ReadHookflowBodyOptions {
  /** The S3 client to read with. @default - one created at the first call, reused (the function's region) */
  readonly client?: S3Client;
}

let sharedClient: S3Client | undefined;

/**
 * The raw bytes a reference names, exactly as hookflow received them, checked against the reference's size and
 * SHA-256 (an object that does not match throws rather than pass on other bytes).
 */
export async function readHookflowBody(
  reference: HookflowBodyReference,
  options: ReadHookflowBodyOptions = {},
): Promise<Buffer> {
  // Loaded on first use: importing this module costs a workflow that never meets a reference nothing.
  const { GetObjectCommand, NoSuchKey, S3Client: Client } = await import('@aws-sdk/client-s3');
  const client = options.client ?? (sharedClient ??= new Client({}));
  const { bucket, key, bytes, sha256 } = reference.hookflowBody;
  let body: Buffer;
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    body = object.Body === undefined ? Buffer.alloc(0) : Buffer.from(await object.Body.transformToByteArray());
  } catch (error) {
    // NoSuchKey needs s3:ListBucket on the bucket, which grantReadBodies gives; without it S3 says AccessDenied.
    if (error instanceof NoSuchKey || (error as { name?: unknown }).name === 'NoSuchKey') {
      throw new HookflowBodyGoneError(reference);
    }
    throw error;
  }
  const digest = createHash('sha256').update(body).digest('hex');
  if (body.length !== bytes || digest !== sha256) {
    throw new Error(
      `s3://${bucket}/${key} holds ${body.length} bytes with SHA-256 ${digest}; the reference says ${bytes} bytes, ${sha256}`,
    );
  }
  return body;
}

/**
 * The payload as the run would have had it: `value` itself when it is not a reference, else the stored body
 * parsed as JSON when it is JSON (by its content type, or by trying), else its text.
 */
export async function readHookflowPayload(value: unknown, options: ReadHookflowBodyOptions = {}): Promise<unknown> {
  if (!isHookflowBodyReference(value)) return value;
  const text = (await readHookflowBody(value, options)).toString('utf8');
  const contentType = value.hookflowBody.contentType?.toLowerCase() ?? '';
  if (/\bjson\b/.test(contentType)) return JSON.parse(text) as unknown;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
