// The part of autocannon 9's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  function autocannon(
    options: autocannon.Options,
    callback: (error: Error | null, result: autocannon.Result) => void,
  ): autocannon.Instance;

  namespace autocannon {
    interface Histogram {
      readonly min: number;
      readonly max: number;
      readonly average: number;
      readonly stddev: number;
      readonly mean: number;
      readonly total: number;
      readonly p2_5: number;
      readonly p50: number;
      readonly p75: number;
      readonly p90: number;
      readonly p97_5: number;
      readonly p99: number;
      readonly p99_9: number;
    }

    interface Result {
      readonly requests: Histogram;
      readonly latency: Histogram;
      readonly throughput: Histogram;
      /** Seconds. */
      readonly duration: number;
      readonly errors: number;
      readonly timeouts: number;
      readonly non2xx: number;
      readonly '2xx': number;
      readonly statusCodeStats: Record<string, { count: number }>;
      readonly start: Date;
      readonly finish: Date;
    }

    interface Options {
      url: string;
      connections?: number;
      pipelining?: number;
      duration?: number;
      amount?: number;
      timeout?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      idReplacement?: boolean;
      expectBody?: string;
    }

    interface Instance extends EventEmitter {
      stop(): void;
    }
  }
  export = autocannon;
}
