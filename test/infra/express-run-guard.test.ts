import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { DefinitionBody, Pass, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { ExpressRunGuard, startsWithRunGuard } from '../../lib/express-run-guard';

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

  describe('startsWithRunGuard: what lets a claim leave the recording of its run to the guard', () => {
    function machines() {
      const stack = new Stack(new App(), 'Machines');
      const table = new Table(stack, 'Dedupe', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
      const express = (id: string, first: (scope: Stack) => ReturnType<ExpressRunGuard['next']> | Pass) =>
        new StateMachine(stack, id, {
          stateMachineType: StateMachineType.EXPRESS,
          definitionBody: DefinitionBody.fromChainable(first(stack)),
        });
      return {
        guardedFirst: express('GuardedFirst', (scope) =>
          new ExpressRunGuard(scope, 'G1', { table }).next(new Pass(scope, 'Work1')),
        ),
        guardSecond: express('GuardSecond', (scope) =>
          new Pass(scope, 'Before').next(new ExpressRunGuard(scope, 'G2', { table }).next(new Pass(scope, 'Work2'))),
        ),
        unguarded: express('Unguarded', (scope) => new Pass(scope, 'Work3')),
        standardGuarded: new StateMachine(stack, 'StandardGuarded', {
          definitionBody: DefinitionBody.fromChainable(
            new ExpressRunGuard(stack, 'G3', { table }).next(new Pass(stack, 'Work4')),
          ),
        }),
        imported: StateMachine.fromStateMachineArn(
          stack,
          'Imported',
          'arn:aws:states:us-east-1:123456789012:stateMachine:elsewhere',
        ),
      };
    }

    it('is true for an Express machine whose definition starts with the guard', () => {
      expect(startsWithRunGuard(machines().guardedFirst)).toBe(true);
    });

    it('is false where the guard is not the first state, absent, on a Standard machine, or unknowable (imported)', () => {
      const m = machines();

      expect([m.guardSecond, m.unguarded, m.standardGuarded, m.imported].map(startsWithRunGuard)).toEqual([
        false,
        false,
        false,
        false,
      ]);
    });
  });
});
