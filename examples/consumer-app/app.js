// A CDK app as a platform team writes one: plain CommonJS, hookflow from npm, one Express workflow bound as a
// flow. `npx cdk synth` (or `node app.js` with CDK_OUTDIR set) writes the template.
const { App, Stack } = require('aws-cdk-lib');
const { DefinitionBody, Pass, StateMachine, StateMachineType } = require('aws-cdk-lib/aws-stepfunctions');
const { Hookflow } = require('hookflow');

const app = new App();
const stack = new Stack(app, 'Orders');

const ordersStateMachine = new StateMachine(stack, 'OrdersWorkflow', {
  stateMachineType: StateMachineType.EXPRESS,
  definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Accept order')),
});

const hooks = new Hookflow(stack, 'Hooks'); // every route, no registrations
hooks.bindFlow('orders', ordersStateMachine, { type: 'EXPRESS' });

app.synth();
