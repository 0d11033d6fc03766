import { Stack, Validations } from 'aws-cdk-lib';
import { type IRole, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { toAttributeMap } from './dynamodb-json';
import { LAMBDA_OUTSIDE_VPC } from './guard-acknowledgements';

/** The id CDK gives the provider function every AwsCustomResource of a stack shares. */
const PROVIDER_ID = `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;

/**
 * One registry item owned by the stack (a flow, a client webhook, an inbound workflow): written on
 * create/update with UpdateItem SET, so attributes the stack does not own (a webhook's key hash, set
 * by scripts/ after deploy) survive updates; deleted with the stack or the binding.
 *
 * Every record of a table shares one IAM statement (UpdateItem and DeleteItem on that table), on the role of
 * the provider function all AwsCustomResources of a stack share. An AwsCustomResource given a `policy` adds an
 * AWS::IAM::Policy of its own to that role: about 230 characters each, so at about 45 bindings the role passed
 * IAM's 10,240-character limit on a role's inline policies, and each binding cost two of CloudFormation's 500
 * resources. Now a binding costs one resource and no policy (test/infra/registry-scale.test.ts binds 200).
 */
export class RegistryRecord extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { table: ITable; key: { pk: string; sk: string }; attributes: Record<string, unknown> },
  ) {
    super(scope, id);
    const names = Object.keys(props.attributes).filter((name) => props.attributes[name] !== undefined);
    const key = toAttributeMap(props.key);
    const update = {
      service: 'DynamoDB',
      action: 'updateItem',
      parameters: {
        TableName: props.table.tableName,
        Key: key,
        UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        ExpressionAttributeValues: toAttributeMap(
          Object.fromEntries(names.map((name, i) => [`:v${i}`, props.attributes[name]])),
        ),
      },
      physicalResourceId: PhysicalResourceId.of(`${props.key.pk}|${props.key.sk}`),
    };
    new AwsCustomResource(this, 'Item', {
      onCreate: update,
      onUpdate: update,
      onDelete: {
        service: 'DynamoDB',
        action: 'deleteItem',
        parameters: { TableName: props.table.tableName, Key: key },
      },
      // A role instead of a policy: no AWS::IAM::Policy per record. It is the provider's role only if this is
      // the stack's first AwsCustomResource; otherwise allowWrites adds the statement to the provider's own role.
      role: providerRole(Stack.of(this)),
      installLatestAwsSdk: false,
    });
    allowWrites(Stack.of(this), props.table);
  }
}

const roles = new WeakMap<Stack, IRole>();
const allowed = new WeakMap<Stack, Set<ITable>>();

/** The role the stack's AwsCustomResource provider runs with when hookflow creates it. */
function providerRole(stack: Stack): IRole {
  let role = roles.get(stack);
  if (role === undefined) {
    role = new Role(stack, 'HookflowRegistryWriterRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'hookflow: writes the registry items the stack owns (AwsCustomResource provider, deploy time)',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CDK's AwsCustomResource provider (deploy time only) uses the basic execution role for its own logs.",
    });
    roles.set(stack, role);
  }
  return role;
}

/** One statement per table on the provider's role, whoever created it. */
function allowWrites(stack: Stack, table: ITable): void {
  const done = allowed.get(stack) ?? new Set<ITable>();
  allowed.set(stack, done);
  if (done.has(table)) return;
  done.add(table);
  const provider = stack.node.findChild(PROVIDER_ID) as LambdaFunction;
  provider.role!.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resources: [table.tableArn] }),
  );
  // A table encrypted with a customer managed key: writing its items needs the key too.
  table.encryptionKey?.grantEncryptDecrypt(provider.role!);
  Validations.of(provider).acknowledge(
    {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CDK's AwsCustomResource provider (deploy time only) uses the basic execution role for its own logs.",
    },
    LAMBDA_OUTSIDE_VPC,
  );
}
