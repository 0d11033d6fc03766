import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { consoleStyle } from '../../functions/styles/console';
import { bundleHandlers } from '../../local/handlers/bundle-handlers';
import { type LambdaHandler, startGateway } from '../../local/gateway/server';

const root = resolve(__dirname, '..', '..');

/**
 * The console page alone, served by its handler behind the local gateway (no DynamoDB, no engine): for the
 * browser tests and the screenshot that answer the API with fixtures (Playwright's page.route). The handler is
 * bundled as the local stack bundles it (esbuild: the page files inlined as text), then loaded.
 */
export async function serveConsolePage(): Promise<{ url: string; close(): Promise<void> }> {
  const spec = consoleStyle.handlers[0]!;
  const bundles = await bundleHandlers(root, [{ name: spec.name, entry: `styles/console/handlers/${spec.name}.ts` }]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundles.get(spec.name)!) as { handler: LambdaHandler };
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    lambdaRoutes: consoleStyle.handlers.flatMap((spec) =>
      spec.routes.map((route) => ({ ...route, target: { functionName: `hookflow-${spec.name}`, handler } })),
    ),
    localRoutes: [],
  });
  gateway.open();
  return { url: gateway.url, close: () => closeServer(gateway.server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
