import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { prepareReplay, type RecordedCall } from '../../../bench/lib/replay';

type Attr = { S: string };
interface Input {
  Key: { pk: Attr };
  Item: { pk: Attr };
  name: string;
}
const inputsOf = (prepared: ReturnType<typeof prepareReplay>) =>
  prepared.calls.map((c) => (c.command as unknown as { input: Input }).input) as [Input, Input?, Input?];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any SDK command class
const call = (service: RecordedCall['service'], command: new (input: any) => object, input: object): RecordedCall => ({
  service,
  command: command as RecordedCall['command'],
  operation: command.name.replace(/Command$/, ''),
  input: input as Record<string, unknown>,
  after: [],
  outcome: 'ok',
});

describe('bench replay: the bare calls meet the state the handler met', () => {
  it('gives a creating PutItem a fresh key of the same length, and the later calls on that key follow it', () => {
    // Arrange
    const key = 'flow-trigger#hello#local-dev#0123456789abcdef';
    const calls = [
      call('DynamoDB', GetItemCommand, { TableName: 'registry', Key: { pk: { S: 'flow#hello' } } }),
      call('DynamoDB', PutItemCommand, {
        TableName: 'dedupe',
        Item: { pk: { S: key } },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
      }),
      call('DynamoDB', UpdateItemCommand, { TableName: 'dedupe', Key: { pk: { S: key } } }),
    ];

    // Act
    const [read, put, update] = inputsOf(prepareReplay(calls));

    // Assert
    expect(read.Key.pk.S).toBe('flow#hello');
    expect(put!.Item.pk.S).not.toBe(key);
    expect(put!.Item.pk.S).toHaveLength(key.length);
    expect(update!.Key.pk.S).toBe(put!.Item.pk.S);
    expect((calls[1]!.input as unknown as Input).Item.pk.S).toBe(key);
  });

  it('gives a start a fresh execution name of the same length', () => {
    // Arrange
    const calls = [call('SFN', StartExecutionCommand, { stateMachineArn: 'arn', name: 'run-0123456789abcdef' })];

    // Act
    const [start] = inputsOf(prepareReplay(calls));

    // Assert
    expect(start.name).not.toBe('run-0123456789abcdef');
    expect(start.name).toHaveLength('run-0123456789abcdef'.length);
  });

  it('applies the scenario substitutions everywhere', () => {
    // Arrange
    const calls = [
      call('DynamoDB', GetItemCommand, { TableName: 'dedupe', Key: { pk: { S: 'wait#ref-1#approval' } } }),
    ];

    // Act
    const [read] = inputsOf(prepareReplay(calls, new Map([['ref-1', 'ref-2']])));

    // Assert
    expect(read.Key.pk.S).toBe('wait#ref-2#approval');
  });
});
