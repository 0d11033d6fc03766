declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** HTTPS instead of HTTP, with this key and certificate (bench/support/sdk-alternatives.ts). */
    ssl?: boolean;
    key?: string | Buffer;
    cert?: string | Buffer;
    ca?: string | Buffer;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}
