/**
 * The admin API's routes (seed 5), declared once: the style definition serves them through API Gateway and
 * http.ts must have a handler for each (its table is keyed by AdminRouteKey, so the compiler checks both ways).
 * No handler code here: the CDK app reads this file.
 */
export const ADMIN_ROUTES = [
  { method: 'POST', path: '/api/webhooks' },
  { method: 'GET', path: '/api/webhooks' },
  { method: 'GET', path: '/api/webhooks/{webhookId}' },
  { method: 'PATCH', path: '/api/webhooks/{webhookId}' },
  { method: 'DELETE', path: '/api/webhooks/{webhookId}' },
  { method: 'POST', path: '/api/webhooks/{webhookId}/rotate-secret' },
  { method: 'GET', path: '/api/webhooks/{webhookId}/workflows' },
  { method: 'PUT', path: '/api/webhooks/{webhookId}/workflows/{templateId}' },
  { method: 'DELETE', path: '/api/webhooks/{webhookId}/workflows/{templateId}' },
  { method: 'GET', path: '/api/event-workflow-templates' },
] as const;

/** An API Gateway route key of the admin API, e.g. `GET /api/webhooks/{webhookId}`. */
export type AdminRouteKey = RouteKeyOf<(typeof ADMIN_ROUTES)[number]>;

/** Distributes over the union of routes, so each key pairs a route's own method with its own path. */
type RouteKeyOf<R> = R extends { readonly method: infer M extends string; readonly path: infer P extends string }
  ? `${M} ${P}`
  : never;
