/** What a CDK app imports to embed hookflow: the construct, its parts, and the reference stack. */
export { ExampleWorkflows } from './example-workflows';
export { FanoutQueue } from './fanout-queue';
export {
  type HandlerOptions,
  type HandlerSettings,
  Hookflow,
  type HookflowDomainProps,
  type HookflowProps,
  type WorkflowType,
} from './hookflow';
export { HookflowFunction, type HookflowFunctionProps } from './hookflow-function';
export { HookflowHttpApi, type ThrottleProps } from './hookflow-http-api';
export { HookflowStack, type HookflowStackProps } from './hookflow-stack';
export { HookflowTables } from './hookflow-tables';
/** The registration kinds `Hookflow.addRegistration` takes (docs/configuration.md). */
export { registrationStyles, type AnyRegistrationKind } from '../functions/styles/registrations';
export { RegistryRecord } from './registry-record';
export { WaitForEvent, type WaitForEventProps } from './wait-for-event';
export { ExpressRunGuard, type ExpressRunGuardProps } from './express-run-guard';
/** For workflows' Lambda tasks (also `hookflow/body`, which loads no CDK): reading a claim-checked body. */
export {
  HookflowBodyGoneError,
  type HookflowBodyReference,
  isHookflowBody,
  readHookflowBody,
  readHookflowPayload,
  type ReadHookflowBodyOptions,
} from './read-hookflow-body';
export { HookflowBodies, type HookflowBodiesProps } from './hookflow-bodies';
