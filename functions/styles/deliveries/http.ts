import { authenticateApiKey, presentedApiKey } from '../../core/auth/api-keys';
import { deliveriesAccessOf } from '../../core/deliveries/access';
import { NotFoundError } from '../../core/outcomes';
import { httpHandler, type HttpHandler } from '../../http/http-handler';
import { jsonResponse } from '../../http/responses';
import type { DeliveriesDeps } from './deps';
import { bulkReplay, replayDelivery } from './replay-deliveries';
import { deliveryIdOf, parseBulkReplayRequest, parseListRequest, parseReplayRequest } from './request';
import { showDelivery } from './show-delivery';

/** The deliveries API's routes (functions/styles/deliveries/index.ts lists the same). */
export const DELIVERIES_ROUTES = {
  list: 'GET /api/deliveries',
  show: 'GET /api/deliveries/{id}',
  replay: 'POST /api/deliveries/{id}/replay',
  bulkReplay: 'POST /api/deliveries/replay',
} as const;

/**
 * GET /api/deliveries[/{id}], POST /api/deliveries/{id}/replay and /api/deliveries/replay (docs/deliveries.md):
 * the key first (401), its `deliveries` scope (403), then the request (400), then the deliveries in its reach
 * (anything else: 404 in the words of an unknown id).
 */
export function makeDeliveriesHandler(deps: DeliveriesDeps): HttpHandler {
  return httpHandler(deps, async (event) => {
    const apiKey = await authenticateApiKey(deps.registry, presentedApiKey(event.headers));
    const reach = deliveriesAccessOf(apiKey);
    const settings = { now: deps.now(), retentionDays: deps.retentionDays };
    switch (event.routeKey) {
      case DELIVERIES_ROUTES.list: {
        const query = parseListRequest(event, settings);
        const page = await deps.log.list({ ...query, ...reach });
        return jsonResponse(200, {
          deliveries: page.items,
          from: new Date(query.from).toISOString(),
          to: new Date(query.to).toISOString(),
          ...(page.next === undefined ? {} : { next: page.next }),
        });
      }
      case DELIVERIES_ROUTES.show:
        return jsonResponse(200, { delivery: await showDelivery(deps, reach, deliveryIdOf(event)) });
      case DELIVERIES_ROUTES.replay: {
        const id = deliveryIdOf(event);
        const options = parseReplayRequest(event);
        const answer = await replayDelivery(deps, reach, id, options);
        deps.logger.info('delivery replayed', { deliveryId: id, outcome: answer.outcome, replay: answer.replay });
        return jsonResponse(answer.outcome === 'started' ? 202 : 200, { ...options, ...answer });
      }
      case DELIVERIES_ROUTES.bulkReplay: {
        const request = parseBulkReplayRequest(event, settings);
        const answer = await bulkReplay(deps, reach, request);
        deps.logger.info('deliveries replayed', {
          matched: answer.matched,
          wouldStart: answer.wouldStart,
          dryRun: request.dryRun,
        });
        return jsonResponse(200, answer);
      }
      default:
        throw new NotFoundError(`no route ${event.routeKey}`);
    }
  });
}
