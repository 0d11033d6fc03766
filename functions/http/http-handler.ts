import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DomainError } from '../core/outcomes';
import { httpAnswerOf } from './outcome-to-http';
import { errorResponse } from './responses';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Wraps a style's request handling in the middleware every route shares: the Lambda context in every log
 * line, and domain outcomes turned into `{ "error": ... }` answers by outcome-to-http.ts, which expose their message; anything
 * else is logged with its stack and answered with a generic 500 that carries only the request id.
 */
export function httpHandler(
  logger: Logger,
  handle: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
): HttpHandler {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const { error } = request;
        if (error instanceof DomainError) {
          const answer = httpAnswerOf(error);
          logger.info('request rejected', { statusCode: answer.statusCode, reason: error.message });
          request.response = answer;
          return;
        }
        logger.error('request failed', error as Error);
        request.response = errorResponse(
          500,
          `internal error; quote request id ${request.context.awsRequestId} when reporting it`,
        );
      },
    })
    .handler(handle) as unknown as HttpHandler;
}
