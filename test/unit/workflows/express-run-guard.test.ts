import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executionNameFor } from '../../../functions/core/runs/execution-name';
import { runGuardKey } from '../../../functions/core/runs/run-guard';
import { DynamoDbDedupeStore } from '../../../functions/adapters/aws/dynamodb-dedupe-store';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions';
import { dynamodbIntegrations } from '../../../local/stepfunctions/dynamodb-integrations';
import { startInMemoryDynamoDb } from '../../support/in-memory-dynamodb';
import { DUPLICATE_RUN_ERROR, guardExpressDefinition } from '../../../workflows/express-run-guard';
import { loadWorkflowManifest } from '../../../workflows/manifest';

/** The Express run guard, run by the local Step Functions engine against a real (dynalite) DynamoDB. */
const echo = { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } };

describe('Express run guard', () => {
  let dataDir: string;
  let local: LocalStepFunctions;
  let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>>;
  let sfn: SFNClient;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hookflow-guard-'));
    db = await startInMemoryDynamoDb();
    local = await startLocalStepFunctions({
      host: '127.0.0.1',
      dataDir,
      stateMachines: [
        { name: 'guarded', type: 'EXPRESS', definition: guardExpressDefinition(echo, db.tables.dedupe) },
        { name: 'unguarded', type: 'EXPRESS', definition: echo },
      ],
      integrations: dynamodbIntegrations(db.client),
    });
    sfn = new SFNClient({
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      disableHostPrefix: true,
    });
  });

  afterEach(async () => {
    await local.close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function run(stateMachine: string, name: string) {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn(stateMachine), name, input: '{"a":1}' }),
    );
    for (let i = 0; i < 300; i++) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${executionArn} still RUNNING`);
  }
  const dedupedName = executionNameFor('flow#k1', 1_700_000_000_000, 1_700_086_400);

  it('lets the first run of a deduped name through with its input untouched', async () => {
    const first = await run('guarded', dedupedName);

    expect(first).toMatchObject({ status: 'SUCCEEDED', output: '{"a":1}' });
  });

  it('ends a second run of the same deduped name at once with Hookflow.DuplicateRun', async () => {
    await run('guarded', dedupedName);

    const second = await run('guarded', dedupedName);

    expect(second).toMatchObject({ status: 'FAILED', error: DUPLICATE_RUN_ERROR });
  });

  it('is what makes the difference: without it Express runs the same name twice, as AWS does', async () => {
    const outcomes = [await run('unguarded', dedupedName), await run('unguarded', dedupedName)];

    expect(outcomes.map((o) => o.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('leaves random (not deduped) names alone: no write, no refusal', async () => {
    const outcomes = [await run('guarded', 'same-random-name'), await run('guarded', 'same-random-name')];

    expect(outcomes.map((o) => o.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it("stores the guard item with the dedupe claim's expiry as its TTL", async () => {
    await run('guarded', dedupedName);

    const { Item } = await db.client.send(
      new GetItemCommand({
        TableName: db.tables.dedupe,
        Key: { pk: { S: runGuardKey(local.stateMachineArn('guarded'), dedupedName) } },
      }),
    );
    expect(Item?.expiresAt).toEqual({ N: '1700086400' });
  });

  it('names the run it admitted where a duplicate looks for it (DynamoDbDedupeStore.guardedRun, runGuardKey)', async () => {
    // Arrange: the store a handler reads through, on the table the guard writes to
    const store = new DynamoDbDedupeStore(db.client, db.tables.dedupe);
    const arn = local.stateMachineArn('guarded');

    // Act
    const before = await store.guardedRun(arn, dedupedName);
    const first = await run('guarded', dedupedName);
    const second = await run('guarded', dedupedName);
    const found = await store.guardedRun(arn, dedupedName);

    // Assert: the first execution, not the duplicate that the guard ended
    expect(before).toBeUndefined();
    expect(found?.executionArn).toBe(first.executionArn);
    expect(found?.executionArn).not.toBe(second.executionArn);
    // $$.Execution.StartTime; the local engine (aws-local-stepfunctions) sets its own, a millisecond after startDate.
    expect(Math.abs(Date.parse(found!.startDate) - first.startDate!.getTime())).toBeLessThan(1_000);
  });

  it('writes nothing a duplicate could find for a workflow without the guard', async () => {
    const store = new DynamoDbDedupeStore(db.client, db.tables.dedupe);

    await run('unguarded', dedupedName);

    expect(await store.guardedRun(local.stateMachineArn('unguarded'), dedupedName)).toBeUndefined();
  });

  it('guards every Express workflow of the manifest, and no Standard one', () => {
    const workflows = loadWorkflowManifest();

    for (const workflow of workflows) {
      expect({ name: workflow.name, guarded: workflow.definition.StartAt === 'hookflow: deduped run?' }).toEqual({
        name: workflow.name,
        guarded: workflow.type === 'EXPRESS',
      });
    }
  });
});
