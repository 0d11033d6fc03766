import { consoleStyle } from '../../../functions/styles/console';
import { CONSOLE_ASSETS, CONSOLE_CSP, makeConsoleHandler } from '../../../functions/styles/console/http';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { silentLogger } from '../../support/fakes';

const handler = makeConsoleHandler({ logger: silentLogger });
const get = (path: string, headers: Record<string, string> = {}) =>
  handler(httpEvent({ method: 'GET', path, headers }), testContext);

describe('the console page (issue 19 item 4)', () => {
  it('serves exactly the routes its style declares, each with a file', () => {
    const routes = consoleStyle.handlers.flatMap((spec) => spec.routes.map((r) => `${r.method} ${r.path}`));

    expect(routes.sort()).toEqual(Object.keys(CONSOLE_ASSETS).sort());
    expect(consoleStyle.handlers.every((spec) => spec.needs.length === 0)).toBe(true);
    expect(consoleStyle.registrations).toEqual([]);
  });

  it.each([
    ['/console', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/console/console.js', 'text/javascript; charset=utf-8', "'use strict';"],
    ['/console/console.css', 'text/css; charset=utf-8', ':root {'],
  ])('serves %s as %s with the security headers', async (path, contentType, start) => {
    const result = await get(path);

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({
      'content-type': contentType,
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    expect(result.body).toContain(start);
  });

  it('sends a CSP that allows no inline script, no eval and no other origin', () => {
    const directives = Object.fromEntries(
      CONSOLE_CSP.split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]),
    );

    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('has no inline script or style in the page: the CSP would refuse them', async () => {
    const { body } = await get('/console');

    expect(body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(body).not.toMatch(/\son\w+=/i);
    expect(body).not.toMatch(/<style|\sstyle=/i);
  });

  it('keeps the key in sessionStorage only: the script never names localStorage or document.cookie', async () => {
    const { body } = await get('/console/console.js');

    expect(body).toContain('sessionStorage');
    expect(body).not.toMatch(/localStorage|document\.cookie|indexedDB/);
    expect(body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('answers 304 to a matching If-None-Match, with the same headers', async () => {
    const first = await get('/console');

    const again = await get('/console', { 'if-none-match': `W/"x", ${String(first.headers!.etag)}` });

    expect(again.statusCode).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers).toMatchObject({ etag: first.headers!.etag, 'content-security-policy': CONSOLE_CSP });
  });

  it('answers 404 {error} for a route key it has no file for', async () => {
    const result = await handler(
      httpEvent({ method: 'GET', path: '/console/other.js', routeKey: 'GET /console/{file}' }),
      testContext,
    );

    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body!)).toEqual({ error: 'no console file at /console/other.js' });
  });
});
