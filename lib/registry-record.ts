import { marshall } from '@aws-sdk/util-dynamodb';
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/**
 * One registry item owned by the stack (a flow, a client webhook, an inbound workflow): written on
 * create/update with UpdateItem SET, so attributes the stack does not own (a webhook's key hash, set
 * by scripts/ after deploy) survive updates; deleted with the stack or the binding.
 */
export class RegistryRecord extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { table: ITable; key: { pk: string; sk: string }; attributes: Record<string, unknown> },
  ) {
    super(scope, id);
    const names = Object.keys(props.attributes).filter((name) => props.attributes[name] !== undefined);
    const key = marshall(props.key);
    const update = {
      service: 'DynamoDB',
      action: 'updateItem',
      parameters: {
        TableName: props.table.tableName,
        Key: key,
        UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        ExpressionAttributeValues: marshall(
          Object.fromEntries(names.map((name, i) => [`:v${i}`, props.attributes[name]])),
          { removeUndefinedValues: true, convertClassInstanceToMap: true },
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
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [props.table.tableArn],
        }),
      ]),
      installLatestAwsSdk: false,
    });
    // The provider function CDK shares between every AwsCustomResource of a stack.
    const provider = Stack.of(this).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    if (provider !== undefined) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's AwsCustomResource provider (deploy time only) uses the basic execution role for its own logs.",
      });
    }
  }
}
