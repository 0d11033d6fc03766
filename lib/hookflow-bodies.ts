import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from './cfn-reference';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where the handlers put bodies (functions/adapters/aws/s3-body-store.ts, bodyKeyOf): the grants reach only these keys. */
export const BODY_KEY_PREFIX = 'bodies/';

export interface HookflowBodiesProps {
  /** Days a body is kept: the lifecycle expiration, the same as the delivery records' (DELIVERY_RETENTION_DAYS). */
  readonly retentionDays: number;
  readonly removalPolicy?: RemovalPolicy;
  /** A bucket that already exists (HookflowProps.bodiesBucket): its encryption, lifecycle and policy stay yours. */
  readonly existing?: IBucket;
  /** A customer managed KMS key for a new bucket. @default - S3 managed encryption (SSE-S3) */
  readonly encryptionKey?: IKey;
}

/**
 * The bucket large request bodies are kept in (issue 19): the raw bytes of a delivery whose body is too large for
 * its record or for its run's input (the claim-check, docs/request-bodies.md). Private, encrypted, TLS only, and
 * expired after the delivery retention.
 */
export class HookflowBodies extends Construct {
  readonly bucket: IBucket;

  constructor(scope: Construct, id: string, props: HookflowBodiesProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(
        `Hookflow handlerSettings.DELIVERY_RETENTION_DAYS: ${props.retentionDays} is not a whole number of days, 1 or more`,
      );
    }
    if (props.existing !== undefined) {
      this.bucket = props.existing;
      return;
    }
    const bucket = new Bucket(this, 'Bucket', {
      ...(props.encryptionKey === undefined
        ? { encryption: BucketEncryption.S3_MANAGED }
        : { encryption: BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // Versioning off: an object is written once, by its delivery, and never changed; versions would only keep
      // expired bodies (noncurrent versions) past the retention a user chose, which is the opposite of the point.
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-bodies',
          expiration: Duration.days(props.retentionDays),
          // A PutObject cut off mid-way leaves nothing (single PUT), but be safe with multipart uploads too.
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.bucket = bucket;
    if (props.encryptionKey === undefined) {
      Validations.of(bucket).acknowledge({
        id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
        reason:
          "Encrypted with S3 managed keys (SSE-S3) unless the construct is given encryptionKey, which turns this bucket to SSE-KMS with that key (and grants it to the handlers): a KMS key of hookflow's own would add a monthly key and per-request KMS calls for no control the deployer asked for.",
      });
    }
    Validations.of(bucket).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-S1',
        reason:
          "Server access logs would need a second bucket (itself unlogged) for objects written once and read rarely; who read a body is CloudTrail data events' job, which a deployer turns on account-wide.",
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
        reason:
          'As AwsSolutions-S1: server access logs would need a second bucket; CloudTrail data events record object reads where a deployer wants them.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_versioning_enabled_check',
        reason:
          'Versioning off on purpose: each body is written once and must be gone after the delivery retention; versions would keep deleted bodies longer.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        reason:
          'Object Lock would forbid the lifecycle expiration the retention setting promises: bodies must be gone after DELIVERY_RETENTION_DAYS.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
        reason:
          'Nothing reacts to a stored body: the handler that stores it passes its reference on itself (the record, the run input). A notification would have no consumer.',
      },
    );
  }

  /** Objects of hookflow's key layout. */
  objectsArn(): string {
    return this.bucket.arnForObjects(`${BODY_KEY_PREFIX}*`);
  }

  /** `bodies:write`: PutObject on hookflow's keys (and the bucket's KMS key, when it has one). */
  grantWrite(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.objectsArn()] }),
    );
    this.bucket.encryptionKey?.grantEncrypt(grantee);
    this.acknowledgeObjectWildcard(grantee, 's3:PutObject');
  }

  /** Object keys are made per delivery: a grant on objects can only name their prefix (cdk-nag AwsSolutions-IAM5). */
  private acknowledgeObjectWildcard(grantee: IGrantable, actions: string): void {
    if (!(grantee instanceof Construct)) return;
    // cdk-nag names the finding after the resource as it flattens it (lib/cfn-reference.ts).
    const finding = `AwsSolutions::AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(this).resolve(this.objectsArn()))}]`;
    const target = 'role' in grantee && grantee.role instanceof Construct ? grantee.role : grantee;
    Validations.of(target).acknowledge({
      id: finding,
      reason: `${actions} on the bucket's ${BODY_KEY_PREFIX} keys only: one object per delivery, its key made per request.`,
    });
  }

  /**
   * `bodies:read` and Hookflow.grantReadBodies: GetObject on hookflow's keys, and ListBucket on the bucket so that an
   * expired body reads as NoSuchKey (404) and not as AccessDenied (403), which S3 answers without it
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
   */
  grantRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.objectsArn()] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    this.bucket.encryptionKey?.grantDecrypt(grantee);
    this.acknowledgeObjectWildcard(grantee, 's3:GetObject');
  }
}
