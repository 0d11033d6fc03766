import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { dedupeTableSchema, registryTableSchema } from '../functions/adapters/aws/table-schemas';

/**
 * hookflow's two DynamoDB tables, keyed exactly as the handlers (and the local stack) expect: the registry
 * (flows, keys, webhook registrations) and the dedupe claims. On-demand, encrypted, point-in-time recovery on.
 */
export class HookflowTables extends Construct {
  readonly registry: Table;
  readonly dedupe: Table;

  constructor(scope: Construct, id: string, props: { removalPolicy?: RemovalPolicy } = {}) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    this.registry = new Table(this, 'Registry', {
      ...common,
      partitionKey: { name: registryTableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: registryTableSchema.sortKey, type: AttributeType.STRING },
    });
    this.dedupe = new Table(this, 'Dedupe', {
      ...common,
      partitionKey: { name: dedupeTableSchema.partitionKey, type: AttributeType.STRING },
      // Only housekeeping: expiry is enforced in every condition expression, since TTL deletes late.
      timeToLiveAttribute: dedupeTableSchema.timeToLiveAttribute,
    });
  }
}
