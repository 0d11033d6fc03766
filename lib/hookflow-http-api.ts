import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeLogGroupRules } from './guard-acknowledgements';
import type { HttpMethod as RouteMethod } from '../functions/routes';

export interface ThrottleProps {
  /** Steady requests per second across the stage. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * Access log fields: who called which route, how it went and how long it took. Deliberately no headers,
 * query strings or bodies: those carry API keys, webhook keys and secrets. Exported for the bench's cost part,
 * which prices the line this format writes per request (bench/parts/cost.ts, accessLogBytes).
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
};

/** The HTTP API (payload format 2.0) with one `$default` stage: access-logged as JSON and throttled. */
export class HookflowHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The custom domain name, when one was given: point its DNS record at `regionalDomainName`. */
  readonly domainName?: DomainName;
  private readonly integrations = new Map<IFunction, HttpLambdaIntegration>();

  constructor(
    scope: Construct,
    id: string,
    props: {
      throttle: ThrottleProps;
      logRetention: RetentionDays;
      removalPolicy: RemovalPolicy;
      domain?: { domainName: string; certificate: ICertificate };
    },
  ) {
    super(scope, id);
    if (props.domain !== undefined) {
      // Regional, TLS 1.2: HTTP APIs support no other TLS version
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-custom-domain-names.html).
      this.domainName = new DomainName(this, 'DomainName', {
        domainName: props.domain.domainName,
        certificate: props.domain.certificate,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
    }
    this.api = new HttpApi(this, 'Api', {
      description: 'hookflow: inbound webhooks to Step Functions runs',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    acknowledgeLogGroupRules(accessLogs, props.logRetention);
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      ...(this.domainName === undefined ? {} : { domainMapping: { domainName: this.domainName } }),
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
  }

  get url(): string {
    return this.stage.url;
  }

  addRoute(method: RouteMethod, path: string, handler: IFunction): void {
    let integration = this.integrations.get(handler);
    if (integration === undefined) {
      integration = new HttpLambdaIntegration(`${handler.node.id}Integration`, handler);
      this.integrations.set(handler, integration);
    }
    const inHandler =
      'Each webhook style authenticates in its handler, as its senders expect: API keys (hashed), webhook keys, shared secrets or signatures. An API Gateway authorizer cannot check body-borne keys or HMACs of the raw body.';
    for (const route of this.api.addRoutes({ path, methods: [HttpMethod[method]], integration })) {
      Validations.of(route).acknowledge(
        { id: 'AwsSolutions::AwsSolutions-APIG4', reason: inHandler },
        // cfn-guard, Control Tower CT.APIGATEWAY.PR.5: the same finding as APIG4.
        { id: 'cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check', reason: inHandler },
        {
          // CT.LAMBDA.PR.2, on the route's invoke permission (FunctionIntegration-Permission, under the route).
          id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
          reason:
            "Not public: the permission's principal is apigateway.amazonaws.com and its SourceArn is this API's execute-api ARN for this route. The rule accepts only a literal string or a Ref/GetAtt there, and an execute-api ARN is an Fn::Join.",
        },
      );
    }
  }
}
