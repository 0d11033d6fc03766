import { type Acknowledgment, Validations } from 'aws-cdk-lib';
import { type ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Reasons for the cfn-guard rules (AWS Control Tower's proactive controls, run by @cdklabs/cdk-validator-cfnguard
 * through CDK's policy validation) that hookflow's resources do not follow, shared by the constructs they
 * concern. Each construct acknowledges them next to itself (Validations.of(construct).acknowledge), so a new
 * resource is checked until someone writes down why a rule does not apply to it.
 */

/** CT.LAMBDA.PR.3 (Lambda in a customer-managed VPC). */
export const LAMBDA_OUTSIDE_VPC: Acknowledgment = {
  id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
  reason:
    "hookflow's functions reach only AWS's public, TLS and IAM-authenticated endpoints (DynamoDB, SQS, Step Functions) and no private resource. In a VPC they would need a NAT gateway or interface endpoints (hourly cost) and protect nothing more.",
};

/**
 * CT.CLOUDWATCH.PR.3 (log group encrypted with a KMS key), always; CT.CLOUDWATCH.PR.2 (retained a year or more)
 * when the construct's `logRetention` is shorter, as its one-month default is: a retention the deployer chooses.
 */
export function acknowledgeLogGroupRules(logGroup: ILogGroup, retention: RetentionDays): void {
  Validations.of(logGroup).acknowledge({
    id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
    reason:
      'CloudWatch Logs always encrypts log data at rest (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html); a KMS key of your own only adds who controls the key. These logs hold no payloads or secrets: access logs carry no headers, queries or bodies, handlers never log keys or secrets, workflow logs exclude execution data.',
  });
  if (retention < RetentionDays.ONE_YEAR) {
    Validations.of(logGroup).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check',
      reason: `Operational logs, kept ${retention} days as the logRetention prop says (default one month; the audit trail of API calls is CloudTrail's). Set logRetention: RetentionDays.ONE_YEAR or more and this rule passes.`,
    });
  }
}
