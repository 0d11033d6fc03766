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

/** An answer as it came: status, headers and the body (parsed JSON, the text when not JSON, null when empty). */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface ApiRequestOptions {
  headers?: Record<string, string>;
  body?: string;
  /** Send the admin credentials (X-Api-Key, X-Api-Org). Default true. */
  admin?: boolean;
  /** Send only the API key, as `Authorization: Bearer <key>` (the deliveries API: no organisation). */
  keyOnly?: boolean;
  /** Give up on the request after this long. Default 35 s: above API Gateway's 30 s integration timeout. */
  timeoutMs?: number;
}

/**
 * One request, whatever its status: for callers that must see 202 vs 200 vs 204 (the smoke test). `path` is
 * relative to the base URL (a query string may follow), or an absolute URL the API handed out (a run URL).
 */
export async function sendApi(
  settings: ApiSettings,
  method: string,
  path: string,
  options: ApiRequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.keyOnly === true) {
    if (settings.apiKey === undefined) throw new UsageError('no API key: pass --api-key or set HOOKFLOW_API_KEY');
    headers.authorization = `Bearer ${settings.apiKey}`;
  } else if (options.admin !== false) {
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
      signal: AbortSignal.timeout(options.timeoutMs ?? 35_000),
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
  return { status: response.status, headers: response.headers, body };
}

/** The error message of a non-2xx answer: hookflow's `{ "error" }`, or the status. */
export function errorMessage(response: ApiResponse): string {
  const body = response.body;
  return body !== null && typeof body === 'object' && 'error' in body ? String(body.error) : `HTTP ${response.status}`;
}

/** One request that must succeed: its body, or an ApiError with the status and hookflow's message. */
export async function callApi(
  settings: ApiSettings,
  method: string,
  path: string,
  options: ApiRequestOptions = {},
): Promise<unknown> {
  const response = await sendApi(settings, method, path, options);
  if (response.status < 200 || response.status > 299) {
    throw new ApiError(response.status, errorMessage(response), response.body);
  }
  return response.body;
}

/** The command line was wrong: print usage. */
export class UsageError extends Error {}
