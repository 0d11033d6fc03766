import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  DELIVERIES_INDEX,
  deliveriesIndexSchema,
  dedupeTableSchema,
  registryTableSchema,
} from '../functions/adapters/aws/table-schemas';

/**
 * hookflow's two DynamoDB tables, keyed exactly as the handlers (and the local stack) expect: the registry
 * (flows, keys, webhook registrations) and the dedupe claims. On-demand, encrypted, point-in-time recovery on.
 */
export interface HookflowTablesProps {
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Tables that already exist, instead of two new ones. Each must have the key schema of
   * functions/adapters/aws/table-schemas.ts: the registry `pk` (string) + `sk` (string), the dedupe table `pk`
   * (string) with TTL on `expiresAt` and the `deliveries` global secondary index (`dPk` + `dSk`, strings; projection
   * INCLUDE the attributes of `deliveriesIndexSchema.projected`: docs/deliveries.md). A table built in the same app
   * is checked at synth; an imported one cannot be.
   * @default - two new on-demand tables with point-in-time recovery
   */
  readonly existing?: { readonly registry: ITable; readonly dedupe: ITable };
  /**
   * A customer managed KMS key for new tables (ignored for existing ones, which keep their own encryption).
   * @default - AWS managed encryption
   */
  readonly encryptionKey?: IKey;
}

export class HookflowTables extends Construct {
  readonly registry: ITable;
  readonly dedupe: ITable;

  constructor(scope: Construct, id: string, props: HookflowTablesProps = {}) {
    super(scope, id);
    if (props.existing !== undefined) {
      checkKeySchema(
        'registry',
        props.existing.registry,
        registryTableSchema.partitionKey,
        registryTableSchema.sortKey,
      );
      checkKeySchema('dedupe', props.existing.dedupe, dedupeTableSchema.partitionKey, undefined);
      checkDeliveriesIndex(props.existing.dedupe);
      this.registry = props.existing.registry;
      this.dedupe = props.existing.dedupe;
      return;
    }
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      ...(props.encryptionKey === undefined
        ? { encryption: TableEncryption.AWS_MANAGED }
        : { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    this.registry = new Table(this, 'Registry', {
      ...common,
      partitionKey: { name: registryTableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: registryTableSchema.sortKey, type: AttributeType.STRING },
    });
    const dedupe = new Table(this, 'Dedupe', {
      ...common,
      partitionKey: { name: dedupeTableSchema.partitionKey, type: AttributeType.STRING },
      // Only housekeeping: expiry is enforced in every condition expression, since TTL deletes late.
      timeToLiveAttribute: dedupeTableSchema.timeToLiveAttribute,
    });
    // Delivery records, listed by time (docs/deliveries.md). CloudFormation adds one GSI per stack update
    // (UpdateTable creates at most one: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html):
    // a later second index must come in a deploy of its own.
    dedupe.addGlobalSecondaryIndex({
      indexName: DELIVERIES_INDEX,
      partitionKey: { name: deliveriesIndexSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: deliveriesIndexSchema.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...deliveriesIndexSchema.projected],
    });
    this.dedupe = dedupe;
  }
}

/** A table built in this app must be keyed as the handlers read it: a wrong one fails synth, not requests. */
function checkKeySchema(which: string, table: ITable, partitionKey: string, sortKey: string | undefined): void {
  if (!(table instanceof Table)) return;
  const schema = table.schema();
  const actual = `${schema.partitionKey?.name}:${schema.partitionKey?.type}/${schema.sortKey ? `${schema.sortKey.name}:${schema.sortKey.type}` : '-'}`;
  const expected = `${partitionKey}:${AttributeType.STRING}/${sortKey === undefined ? '-' : `${sortKey}:${AttributeType.STRING}`}`;
  if (actual !== expected) {
    throw new Error(`Hookflow tables.${which}: ${table.node.path} is keyed ${actual}, hookflow needs ${expected}`);
  }
}

/** The dedupe table must carry the `deliveries` index the handlers query: checked when it is built in this app. */
function checkDeliveriesIndex(table: ITable): void {
  if (!(table instanceof Table)) return;
  let schema: ReturnType<Table['schema']>;
  try {
    schema = table.schema(DELIVERIES_INDEX);
  } catch {
    throw new Error(`Hookflow tables.dedupe: ${table.node.path} has no global secondary index "${DELIVERIES_INDEX}"`);
  }
  const actual = `${schema.partitionKey?.name}:${schema.partitionKey?.type}/${schema.sortKey?.name}:${schema.sortKey?.type}`;
  const expected = `${deliveriesIndexSchema.partitionKey}:${AttributeType.STRING}/${deliveriesIndexSchema.sortKey}:${AttributeType.STRING}`;
  if (actual !== expected) {
    throw new Error(
      `Hookflow tables.dedupe: index "${DELIVERIES_INDEX}" of ${table.node.path} is keyed ${actual}, hookflow needs ${expected}`,
    );
  }
}
