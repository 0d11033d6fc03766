import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type HttpHandler, httpHandler } from '../../http/http-handler';
import { errorResponse } from '../../http/responses';
// The page's three files, kept as real files (linted and formatted as HTML, CSS and browser JS) and inlined into
// the handler's bundle as strings by esbuild's `text` import attribute (https://esbuild.github.io/content-types/#text):
// no build step, no file read at run time, the same bytes in Lambda and on the local stack.
import page from './assets/console.html' with { type: 'text' };
import script from './assets/console.js' with { type: 'text' };
import stylesheet from './assets/console.css' with { type: 'text' };

/**
 * What every answer of the console carries:
 * - a strict Content-Security-Policy: scripts and styles from this origin only (no inline script, no eval: the
 *   script is its own file, /console/console.js), fetch to this origin only (the deliveries API), no frames, no
 *   forms posted anywhere, no <base>; even a body or header the page mishandled could run nothing;
 * - X-Content-Type-Options nosniff: the script and stylesheet are taken as what their type says, or not at all;
 * - Referrer-Policy no-referrer: an execution link opened from the page tells the other site nothing;
 * - Cache-Control no-cache with an ETag: a browser revalidates each load (304 when unchanged), so a deploy is
 *   seen at once and the three files still cost one round trip each, not a download.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
} as const;

interface Asset {
  readonly contentType: string;
  readonly body: string;
  readonly etag: string;
}

function asset(contentType: string, body: string): Asset {
  return { contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** The console's files by route key (functions/styles/console/index.ts lists the same routes). */
export const CONSOLE_ASSETS: Readonly<Record<string, Asset>> = {
  'GET /console': asset('text/html; charset=utf-8', page),
  'GET /console/console.js': asset('text/javascript; charset=utf-8', script),
  'GET /console/console.css': asset('text/css; charset=utf-8', stylesheet),
};

export function makeConsoleHandler(deps: { logger: Logger }): HttpHandler {
  return httpHandler(deps, async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const file = CONSOLE_ASSETS[event.routeKey];
    if (file === undefined) return errorResponse(404, `no console file at ${event.rawPath}`);
    if (matchesEtag(event.headers['if-none-match'], file.etag)) {
      return { statusCode: 304, headers: { ...SECURITY_HEADERS, etag: file.etag } };
    }
    return {
      statusCode: 200,
      headers: { ...SECURITY_HEADERS, 'content-type': file.contentType, etag: file.etag },
      body: file.body,
    };
  });
}

/** If-None-Match holds one or more ETags, comma-separated, or `*` (RFC 9110 section 13.1.2). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const value = tag.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });
}
