import type { HttpMethod } from '../../functions/routes';

export interface Route<T> {
  readonly method: HttpMethod;
  /** API Gateway syntax: `/flows/{flowId}/trigger`; `{name+}` is a greedy parameter. */
  readonly path: string;
  readonly target: T;
}

export interface RouteMatch<T> {
  readonly route: Route<T>;
  readonly pathParameters: Record<string, string>;
}

interface CompiledRoute<T> {
  readonly route: Route<T>;
  readonly pattern: RegExp;
  readonly names: string[];
}

/** Matches requests to routes the way API Gateway HTTP APIs do (path parameters are URL-decoded). */
export class Router<T> {
  private readonly compiled: CompiledRoute<T>[];

  constructor(routes: readonly Route<T>[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .replace(/[.*?^$()|[\]\\]/g, '\\$&')
        .replace(/\{(\w+)(\+?)\}/g, (_m, name: string, greedy: string) => {
          names.push(name);
          return greedy === '+' ? '(.+)' : '([^/]+)';
        });
      return { route, pattern: new RegExp(`^${source}/?$`), names };
    });
  }

  /** `undefined` when no route has that path; `'method-not-allowed'` when the path exists for other methods. */
  match(method: string, path: string): RouteMatch<T> | 'method-not-allowed' | undefined {
    let pathMatched = false;
    for (const { route, pattern, names } of this.compiled) {
      const match = pattern.exec(path);
      if (match === null) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const pathParameters: Record<string, string> = {};
      names.forEach((name, index) => {
        pathParameters[name] = safeDecode(match[index + 1] ?? '');
      });
      return { route, pathParameters };
    }
    return pathMatched ? 'method-not-allowed' : undefined;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
