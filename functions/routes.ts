/**
 * The list of styles: the one place that says which styles are served. Each style folder exports its
 * definition (handlers, routes, needs, pipeline); the CDK construct builds API Gateway routes, functions,
 * env vars and IAM grants from it, and the local stack builds its router from it, so the two can never
 * disagree about what is served. A new style is a folder with an index.ts and one line here.
 */
import { clientWebhookStyle } from './styles/client-webhook';
import { consoleStyle } from './styles/console';
import { deliveriesStyle } from './styles/deliveries';
import { eventsStyle } from './styles/events';
import { flowTriggerStyle } from './styles/flow-trigger';
import { inboundStyle } from './styles/inbound';
import { registeredWebhooksStyle } from './styles/registered-webhooks';
import type { HandlerSpec, StyleDefinition } from './styles/style';

export type {
  HandlerNeed,
  HandlerSpec,
  HttpMethod,
  PipelineStep,
  StyleDefinition,
  WorkflowBinding,
} from './styles/style';
export { timeoutSecondsOf } from './styles/style';

export const styles: readonly StyleDefinition[] = [
  flowTriggerStyle,
  clientWebhookStyle,
  inboundStyle,
  eventsStyle,
  registeredWebhooksStyle,
  // Not a webhook style: the deliveries console's page (docs/console.md), served and deployed like the others.
  consoleStyle,
  deliveriesStyle,
];

/** A handler as it is served: its spec, its style, and its Lambda entry file (relative to functions/). */
export interface ServedHandler extends HandlerSpec {
  readonly style: string;
  /** `styles/<style>/handlers/<name>.ts`: the file exports `handler`. */
  readonly entry: string;
}

/** Every handler of every style, in the order of the list. */
export const handlers: readonly ServedHandler[] = styles.flatMap((style) =>
  style.handlers.map((spec) => ({
    ...spec,
    style: style.name,
    entry: `styles/${style.name}/handlers/${spec.name}.ts`,
  })),
);
