import { AsyncLocalStorage } from 'node:async_hooks';
import { openPostgres, type Database, type Db } from '../db/client.ts';

/**
 * Connections a request may hold. Workers allow 6 simultaneous outgoing connections per request (sockets and
 * fetches together, more wait their turn): PostgreSQL keeps its sockets until the end, so leave room for the
 * platform calls the outbox makes. Hyperdrive does the pooling across requests.
 */
export const CONNECTIONS_PER_REQUEST = 4;

export interface ScopedDatabase {
  /** The Database handed to the services once per isolate; every query goes to the current request's connection. */
  database: Database;
  /** Opens a connection for one request or cron tick, runs `fn` with it, and returns it with a `close` to call last. */
  open(): { run<T>(fn: () => Promise<T>): Promise<T>; close(): Promise<void> };
}

/**
 * A Worker may not use a socket opened by another request ("Cannot perform I/O on behalf of a different request"),
 * so the services (built once per isolate) cannot own a pool. They get this Database instead: its `db` forwards each
 * call to the connection of the request that is running, found through AsyncLocalStorage.
 */
export function scopedDatabase(url: string, onNotice?: (message: string) => void): ScopedDatabase {
  const current = new AsyncLocalStorage<Database>();
  const active = (): Database => {
    const d = current.getStore();
    if (!d) throw new Error('no database connection in this context: on Workers queries run inside a request or a cron tick');
    return d;
  };
  const db = new Proxy({} as Db, {
    get(_target, prop) {
      const real = active().db as unknown as Record<PropertyKey, unknown>;
      const v = real[prop];
      // Methods (select, transaction …) need their drizzle instance; own fields go as they are (`$client`, the
      // postgres.js function the reports use directly, keeps its `unsafe` and `cursor`).
      return typeof v === 'function' && !Object.hasOwn(real, prop) ? (v as (...a: unknown[]) => unknown).bind(real) : v;
    },
  });
  const database: Database = {
    kind: 'postgres',
    db,
    url,
    // No LISTEN: nothing outlives a request to hear it. Requests drain their own rows; the cron tick is the backstop.
    listen: async () => async () => {},
    close: async () => {},
  };
  return {
    database,
    open() {
      const connection = openPostgres(url, onNotice, CONNECTIONS_PER_REQUEST);
      return { run: (fn) => current.run(connection, fn), close: () => connection.close() };
    },
  };
}
