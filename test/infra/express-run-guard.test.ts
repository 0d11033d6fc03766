import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { DefinitionBody, Pass, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { ExpressRunGuard } from '../../lib/express-run-guard';

describe('ExpressRunGuard (CDK fragment for Express workflows)', () => {
  function synth() {
    const stack = new Stack(new App(), 'Guarded');
    const table = new Table(stack, 'Dedupe', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const guard = new ExpressRunGuard(stack, 'Guard', { table });
    const machine = new StateMachine(stack, 'Orders', {
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(guard.next(new Pass(stack, 'Work'))),
    });
    guard.grantTo(machine);
    return Template.fromStack(stack);
  }

  it('starts the workflow with the name check, a conditional PutItem and the duplicate Fail, then the author’s state', () => {
    const template = synth();

    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine!.Properties.DefinitionString);
    expect(definition).toContain('"StartAt\\":\\"hookflow: deduped run?\\"');
    expect(definition).toContain('arn:');
    expect(definition).toContain(':states:::dynamodb:putItem');
    expect(definition).toContain('attribute_not_exists(pk)');
    expect(definition).toContain('Hookflow.DuplicateRun');
    expect(definition).toContain('\\"Next\\":\\"Work\\"');
  });

  it('grants the state machine PutItem on the dedupe table and nothing more', () => {
    const template = synth();

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'dynamodb:PutItem',
            Resource: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
          }),
        ]),
      },
    });
  });
});
