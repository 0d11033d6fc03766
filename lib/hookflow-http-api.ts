import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HttpMethod as RouteMethod } from '../functions/routes';

export interface ThrottleProps {
  /** Steady requests per second across the stage. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * Access log fields: who called which route, how it went and how long it took. Deliberately no headers,
 * query strings or bodies: those carry API keys, webhook keys and secrets.
 */
const ACCESS_LOG_FIELDS = {
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
  private readonly integrations = new Map<IFunction, HttpLambdaIntegration>();

  constructor(
    scope: Construct,
    id: string,
    props: { throttle: ThrottleProps; logRetention: RetentionDays; removalPolicy: RemovalPolicy },
  ) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'hookflow: inbound webhooks to Step Functions runs',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
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
    for (const route of this.api.addRoutes({ path, methods: [HttpMethod[method]], integration })) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason:
          'Each webhook style authenticates in its handler, as its senders expect: API keys (hashed), webhook keys, shared secrets or signatures. An API Gateway authorizer cannot check body-borne keys or HMACs of the raw body.',
      });
    }
  }
}
