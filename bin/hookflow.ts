/**
 * The CDK app: the reference stack, checked at every synth against cdk-nag's AwsSolutions pack and AWS Control
 * Tower's proactive controls (cfn-guard rules). A finding fails the synth unless it is acknowledged, with its
 * reason, next to the construct that causes it (lib/; docs/construct.md lists them).
 */
import { App, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HookflowStack } from '../lib/hookflow-stack';

const app = new App();
new HookflowStack(app, 'Hookflow', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  // The demo (example workflows and local/hookflow.local.json's registrations) only when asked for:
  // `cdk deploy -c hookflow:demo=true`. A context value given on the command line is a string.
  demo: [true, 'true'].includes(app.node.tryGetContext('hookflow:demo') as boolean | string),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new CfnGuardValidator());
