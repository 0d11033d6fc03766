import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Hookflow } from '../../lib/hookflow';

/** The bodies bucket (issue 19 item 2): lib/hookflow-bodies.ts, as the Hookflow construct builds it. */
const build = (props: ConstructorParameters<typeof Hookflow>[2] = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Bodies', { env: { account: '123456789012', region: 'eu-west-1' } });
  const hookflow = new Hookflow(stack, 'Hookflow', props);
  return { stack, hookflow };
};

describe('the bodies bucket', () => {
  it('is private, encrypted (SSE-S3), TLS only, unversioned, and expires bodies after the delivery retention', () => {
    const template = Template.fromStack(build().stack);

    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 7 })],
        },
        VersioningConfiguration: Match.absent(),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('follows DELIVERY_RETENTION_DAYS, the removal policy and the construct’s KMS key', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Kms');
    const key = new Key(stack, 'Key');
    new Hookflow(stack, 'Hookflow', {
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
      handlerSettings: { DELIVERY_RETENTION_DAYS: 30 },
    });
    const template = Template.fromStack(stack);

    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
          ],
        },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
      },
    });
  });

  it('names the bucket to the handlers that store or read bodies, and only to them', () => {
    const { stack, hookflow } = build();
    const template = Template.fromStack(stack);
    const bucketRef = stack.resolve(hookflow.bodies.bucket.bucketName) as unknown;

    for (const [name, fn] of hookflow.functions) {
      const id = stack.getLogicalId(fn.node.defaultChild as never);
      const variables = (template.toJSON().Resources[id].Properties.Environment?.Variables ?? {}) as Record<
        string,
        unknown
      >;
      // The handlers that record deliveries or start runs from a request body store large ones; the deliveries
      // API reads them back.
      const uses = [
        'inbound',
        'event-callback',
        'client-webhook',
        'event-intake',
        'event-webhook',
        'flow-trigger',
        'webhook-trigger',
        'deliveries-api',
      ].includes(name);
      expect([name, variables.BODIES_BUCKET]).toEqual([name, uses ? bucketRef : undefined]);
    }
  });

  it('uses an existing bucket instead of creating one', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Existing');
    const mine = new Bucket(stack, 'Mine');
    const hookflow = new Hookflow(stack, 'Hookflow', { bodiesBucket: mine });

    expect(hookflow.bodies.bucket).toBe(mine);
    Template.fromStack(stack).resourceCountIs('AWS::S3::Bucket', 1);
  });

  it('refuses a retention that is not a whole number of days', () => {
    expect(() => build({ handlerSettings: { DELIVERY_RETENTION_DAYS: 0 } })).toThrow(
      /handlerSettings.DELIVERY_RETENTION_DAYS: 0 is not a whole number of days/,
    );
  });

  it('grants a workflow reading the bodies: GetObject on bodies/ and ListBucket (a gone body reads as NoSuchKey)', () => {
    const { stack, hookflow } = build();
    const role = new Role(stack, 'WorkflowRole', { assumedBy: new ServicePrincipal('states.amazonaws.com') });

    hookflow.grantReadBodies(role);

    const bucketArn = stack.resolve(hookflow.bodies.bucket.bucketArn) as unknown;
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [bucketArn, '/bodies/*']] } },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn },
        ],
      },
    });
  });
});
