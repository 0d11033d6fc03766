import { flattenCfnReference as cdkNags } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { flattenCfnReference } from '../../lib/cfn-reference';

/**
 * hookflow names cdk-nag findings with its own copy of cdk-nag's flattening (cdk-nag is a devDependency only):
 * an acknowledgement spelled differently from the finding leaves the finding standing, so the two must agree.
 */
describe('flattenCfnReference', () => {
  const cases: [string, unknown][] = [
    [
      'an executions ARN as Stack.formatArn resolves it',
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':states:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':execution:',
            { 'Fn::GetAtt': ['EchoStateMachine1234', 'Name'] },
            ':*',
          ],
        ],
      },
    ],
    ['a plain string', 'arn:aws:states:eu-west-1:123456789012:execution:orders:*'],
    ['Fn::Sub placeholders', { 'Fn::Sub': 'arn:${AWS::Partition}:states:::execution:${Name}:*' }],
    ['Fn::ImportValue', { 'Fn::ImportValue': 'SharedMachineName' }],
    ['a Ref', { Ref: 'Orders' }],
    ['anything else', { 'Fn::Select': [0, ['a', 'b']] }],
    ['undefined', undefined],
  ];

  it.each(cases)('spells %s as cdk-nag does', (_, value) => {
    // Arrange: cdk-nag's own spelling is the expected one.
    const expected = cdkNags(value);

    // Act
    const actual = flattenCfnReference(value);

    // Assert
    expect(actual).toBe(expected);
  });

  it('turns the executions ARN into the name cdk-nag gives the finding', () => {
    // Arrange / Act
    const flat = flattenCfnReference(cases[0]![1]);

    // Assert: a literal expectation, so a change in both spellings at once still fails here.
    expect(flat).toBe(
      'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<EchoStateMachine1234.Name>:*',
    );
  });
});
