/**
 * CDK integration test (integ-runner + @aws-cdk/integ-tests-alpha): deploys the reference stack, with
 * everything set to be destroyed with it, and asserts from a second stack, in AWS, what no local test can:
 * - a flow trigger over API Gateway answers 202 with an execution link, and that execution SUCCEEDS;
 * - a workflow that waits for a callback (the wait-for-event Task AWS must accept) is started over HTTP,
 *   resumed by `/api/v2/callback`, and SUCCEEDS.
 *
 * Offline, `npm test` only compares this app's synthesized templates with the committed snapshot
 * (test/integ/hookflow.integ.snapshot/ … see docs/deploy.md); `npm run integ:update` rewrites the snapshot
 * after lib/ changes. With an account: `npm run integ:deploy` deploys, asserts and destroys.
 */
import { type AwsApiCall, ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { marshall } from '@aws-sdk/util-dynamodb';
import { App, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import { apiKeyItem } from '../../functions/adapters/aws/registry-items';
import { sha256Hex } from '../../functions/core/auth/secrets';
import { HookflowStack } from '../../lib/hookflow-stack';

/**
 * The flow key the assertions use. It sits in the committed snapshot by necessity (a random one would change
 * the snapshot at every synth), so it is worth nothing elsewhere: it is stored (hashed) only in this test's
 * own registry table, may trigger only `hello-standard`, and is destroyed with the test stack.
 */
const INTEG_FLOW_KEY = 'hf_integ_only_valid_in_the_integ_test_stack';
// A Standard flow: DescribeExecution, which the assertions poll, does not support Express executions
// (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
const FLOW = 'hello-standard';

const app = new App();
const stack = new HookflowStack(app, 'HookflowInteg', {
  // The assertions trigger the demo's flows and event workflows.
  demo: true,
  // Tables and log groups go with the stack, so a test deployment leaves nothing behind.
  hookflow: { removalPolicy: RemovalPolicy.DESTROY },
});
const integ = new IntegTest(app, 'HookflowIntegTest', {
  testCases: [stack],
  // Asset hashes change with every handler edit; what the snapshot guards is the infrastructure.
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
const { url } = stack.hookflow;
const waitForSuccess = { totalTimeout: Duration.minutes(3), interval: Duration.seconds(5) };

// An API key for the flow, as scripts/create-api-key.ts stores one: only its SHA-256.
const seedKey = integ.assertions.awsApiCall('DynamoDB', 'putItem', {
  TableName: stack.hookflow.tables.registry.tableName,
  Item: marshall(
    apiKeyItem({ keyId: 'integ-test', keyHash: sha256Hex(INTEG_FLOW_KEY), flows: [FLOW], orgs: [], disabled: false }),
  ),
});

const trigger = (marker: string) => ({
  method: 'POST',
  headers: { authorization: `Bearer ${INTEG_FLOW_KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({ integ: marker }),
});

// 1. The flow trigger answers 202 with an execution link (the console URL of the execution).
const answered = integ.assertions.httpApiCall(`${url}flows/${FLOW}/trigger`, trigger('answers-202')).expect(
  ExpectedResult.objectLike({
    status: 202,
    body: { executionLink: Match.stringLikeRegexp('/executions/details/arn:') },
  }),
);

// 2. A triggered execution succeeds: its ARN is the tail of the execution link.
const started = integ.assertions.httpApiCall(`${url}flows/${FLOW}/trigger`, trigger('succeeds'));
const flowExecutionArn = Fn.select(1, Fn.split('/executions/details/', started.getAttString('body.executionLink')));
const flowSucceeded = integ.assertions
  .awsApiCall('StepFunctions', 'describeExecution', { executionArn: flowExecutionArn })
  .expect(ExpectedResult.objectLike({ status: 'SUCCEEDED' }))
  .waitForAssertions(waitForSuccess);

// 3. Wait and callback: start the approval workflow by ref, resume it over HTTP, and see it succeed.
const approval = integ.assertions.httpApiCall(`${url}api/v2/webhook?ref=approval`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ integ: 'approval' }),
});
const callback = integ.assertions
  .httpApiCall(Fn.join('', [url, 'api/v2/callback?topic=approval&ref=', approval.getAttString('body.runRef')]), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'integ-approval' },
    body: JSON.stringify({ approvedBy: 'integ-runner' }),
  })
  // 204 when the run was waiting; 202 when the callback came first (the run's wait then takes it).
  .expect(ExpectedResult.objectLike({ ok: true }));
const approvalSucceeded = integ.assertions
  .awsApiCall('StepFunctions', 'describeExecution', { executionArn: approval.getAttString('body.executionId') })
  .expect(
    ExpectedResult.objectLike({
      status: 'SUCCEEDED',
      output: Match.serializedJson(Match.objectLike({ approval: { approvedBy: 'integ-runner' } })),
    }),
  )
  .waitForAssertions(waitForSuccess);

// The waiter (a state machine polling the call) needs the call's permission itself (integ-tests' README).
for (const describe of [flowSucceeded, approvalSucceeded]) {
  (describe as AwsApiCall).waiterProvider?.addToRolePolicy({
    Effect: 'Allow',
    Action: ['states:DescribeExecution'],
    Resource: ['*'],
  });
}

seedKey.next(answered).next(started).next(flowSucceeded);
approval.next(callback).next(approvalSucceeded);
