import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Hookflow } from '../../lib';
import { handlers } from '../../functions/routes';
import { notRecordedPattern, unknownRegistrationPattern } from '../../lib/delivery-alarms';
import { CompactLogFormatter } from '../../functions/core/logger';
import { Logger } from '@aws-lambda-powertools/logger';

/** The JSON line the recorder's logger prints for `message` at `level` with `extra` (the real formatter). */
function logLine(level: 'info' | 'warn', message: string, extra: Record<string, unknown>): Record<string, unknown> {
  const lines: string[] = [];
  const logger = new Logger({ logFormatter: new CompactLogFormatter(), logLevel: 'INFO' });
  // Powertools writes INFO to stdout and WARN to stderr.
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  try {
    logger[level](message, extra);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return JSON.parse(lines.join('').trim()) as Record<string, unknown>;
}

/**
 * CloudWatch's JSON filter patterns of the form `{ ($.a = "x") && ($.b = "y") }`, evaluated against a line: the
 * only form these two filters use. A stand-in for the service (no CloudWatch here), kept to equality on strings.
 */
function matches(pattern: string, line: Record<string, unknown>): boolean {
  const terms = [...pattern.matchAll(/\$\.(\w+)\s*=\s*"([^"]*)"/g)];
  expect(terms.length).toBeGreaterThan(0);
  return terms.every(([, field, value]) => line[field!] === value);
}

describe('delivery alarms (docs/deliveries.md, "Recording never fails a good request")', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Alarms');
  const topic = new Topic(stack, 'Topic');
  new Hookflow(stack, 'Hooks', { deadLetterAlarmActions: [new SnsAction(topic)] });
  const template = Template.fromStack(stack);

  it('counts "delivery not recorded" on the log group of every handler that records deliveries', () => {
    const recording = handlers.filter((spec) => spec.needs.includes('deliveries:write'));

    const filters = template.findResources('AWS::Logs::MetricFilter');

    expect(Object.keys(filters)).toHaveLength(recording.length * 2);
  });

  it('alarms on a record that could not be written, notifying the dead-letter alarm actions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveriesNotRecorded',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as never) }],
    });
  });

  it("matches the recorder's own lines: a failed write (WARN) and an unknown registration (INFO), not each other", () => {
    const failed = logLine('warn', 'delivery not recorded', { deliveryId: 'dlv_x', reason: 'ThrottlingException' });
    const unknown = logLine('info', 'delivery not recorded', { deliveryId: 'dlv_y', reason: 'unknown registration' });
    const other = logLine('warn', 'request failed', { reason: 'x' });

    expect(matches(notRecordedPattern.logPatternString, failed)).toBe(true);
    expect(matches(notRecordedPattern.logPatternString, unknown)).toBe(false);
    expect(matches(unknownRegistrationPattern.logPatternString, unknown)).toBe(true);
    expect(matches(unknownRegistrationPattern.logPatternString, failed)).toBe(false);
    expect(matches(notRecordedPattern.logPatternString, other)).toBe(false);
  });
});
