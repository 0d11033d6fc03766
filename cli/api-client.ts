/** A small HTTP client for hookflow's API, as a third party or an operator calls it (global fetch). */
export interface ApiSettings {
  /** Base URL: the stack's ApiUrl output, or http://127.0.0.1:3000 for the local stack. */
  readonly url: string;
  readonly apiKey?: string;
  readonly org?: string;
}

/** An answer that was not 2xx: its status and hookflow's `{ "error" }` message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export async function callApi(
  settings: ApiSettings,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; admin?: boolean } = {},
): Promise<unknown> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.admin !== false) {
    if (settings.apiKey === undefined) throw new UsageError('no API key: pass --api-key or set HOOKFLOW_API_KEY');
    if (settings.org === undefined) throw new UsageError('no organisation: pass --org or set HOOKFLOW_ORG');
    headers['x-api-key'] = settings.apiKey;
    headers['x-api-org'] = settings.org;
  }
  if (options.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(new URL(path.replace(/^\//, ''), settings.url.replace(/\/?$/, '/')), {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: AbortSignal.timeout(35_000),
    });
  } catch (error) {
    throw new Error(`could not reach ${settings.url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  if (!response.ok) {
    const message =
      body !== null && typeof body === 'object' && 'error' in body ? String(body.error) : `HTTP ${response.status}`;
    throw new ApiError(response.status, message, body);
  }
  return body;
}

/** The command line was wrong: print usage. */
export class UsageError extends Error {}
