import { CreateBucketCommand, PutBucketLifecycleConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * The body bucket as lib/hookflow-bodies.ts deploys it, on fauxqs's S3: created if absent (fauxqs's CreateBucket
 * is idempotent), with the same expiration rule. fauxqs stores the rule but does not enforce it (its README:
 * "rules are not enforced"): locally, bodies stay until `rm -rf .hookflow`.
 */
export async function createBodiesBucket(client: S3Client, name: string, retentionDays: number): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  await client.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: name,
      LifecycleConfiguration: {
        Rules: [{ ID: 'expire-bodies', Status: 'Enabled', Filter: {}, Expiration: { Days: retentionDays } }],
      },
    }),
  );
}
