import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The line a handler logs for a delivery it did not record (functions/core/deliveries/recorder.ts): at WARN when
 * the record could not be written (the request was answered as if it had been), at INFO for a request that named
 * no known registration (counted, not stored). Handler lines are JSON (functions/core/logger.ts), so a metric
 * filter matches them by field: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 * ("Using metric filters to match terms in JSON log events").
 */
export const DELIVERY_NOT_RECORDED = 'delivery not recorded';
export const notRecordedPattern = FilterPattern.all(
  FilterPattern.stringValue('$.message', '=', DELIVERY_NOT_RECORDED),
  FilterPattern.stringValue('$.level', '=', 'WARN'),
);
export const unknownRegistrationPattern = FilterPattern.all(
  FilterPattern.stringValue('$.message', '=', DELIVERY_NOT_RECORDED),
  FilterPattern.stringValue('$.reason', '=', 'unknown registration'),
);

export interface DeliveryAlarmsProps {
  /** Who is told when records could not be written (the construct's `deadLetterAlarmActions`). */
  readonly alarmActions?: readonly IAlarmAction[];
}

/**
 * Two metrics per stack, fed by a metric filter on the log group of every handler that records deliveries:
 * `DeliveriesNotRecorded` (a record that could not be written: the alarm) and `UnknownRegistrations` (requests
 * that named nothing known: counted, not stored). The namespace names the stack and this construct, so two
 * hookflow stacks in one account never add to each other's alarm.
 */
export class DeliveryAlarms extends Construct {
  readonly notRecorded: Metric;
  readonly unknownRegistrations: Metric;
  readonly notRecordedAlarm: Alarm;
  private readonly namespace: string;

  constructor(scope: Construct, id: string, props: DeliveryAlarmsProps) {
    super(scope, id);
    this.namespace = `hookflow/${Stack.of(this).stackName}/${scope.node.id}`;
    const period = Duration.minutes(5);
    this.notRecorded = new Metric({
      namespace: this.namespace,
      metricName: 'DeliveriesNotRecorded',
      statistic: 'Sum',
      period,
    });
    this.unknownRegistrations = new Metric({
      namespace: this.namespace,
      metricName: 'UnknownRegistrations',
      statistic: 'Sum',
      period,
    });
    this.notRecordedAlarm = new Alarm(this, 'NotRecordedAlarm', {
      alarmDescription:
        'hookflow: delivery records could not be written (the requests were answered and their runs started; only their records are missing). Search the handlers\' logs for "delivery not recorded".',
      metric: this.notRecorded,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.notRecordedAlarm.addAlarmAction(...(props.alarmActions ?? []));
  }

  /** Counts `logGroup`'s lines into both metrics (a handler that records deliveries). */
  watch(id: string, logGroup: ILogGroup): void {
    new MetricFilter(this, `${id}NotRecorded`, {
      logGroup,
      filterPattern: notRecordedPattern,
      metricNamespace: this.namespace,
      metricName: 'DeliveriesNotRecorded',
      metricValue: '1',
    });
    new MetricFilter(this, `${id}UnknownRegistration`, {
      logGroup,
      filterPattern: unknownRegistrationPattern,
      metricNamespace: this.namespace,
      metricName: 'UnknownRegistrations',
      metricValue: '1',
    });
  }
}
