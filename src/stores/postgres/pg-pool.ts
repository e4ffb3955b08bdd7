import pg from "pg";
import { DatabaseUnavailableError } from "../../core/errors.ts";

/** A pooled client checked out of a pg.Pool. */
export type PoolClient = pg.PoolClient;

/** Pool size of a store unless configured: the main thread needs one pinned run-lock client plus a few for reads. */
export const DEFAULT_POOL_MAX = 5;
/** How long a first connection may take before start-up fails, in ms. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** A bounded pool; an idle client that the server drops is discarded instead of crashing the process. */
export function createPool(connectionString: string, max = DEFAULT_POOL_MAX): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, idleTimeoutMillis: 30_000 });
  pool.on("error", () => {});
  return pool;
}

/**
 * Ends the pool's idle clients now: pg.Pool has no call for it, but it hands out an idle client first, and
 * a client released with `true` is destroyed.
 */
export async function closeIdleClients(pool: pg.Pool): Promise<void> {
  while (pool.idleCount > 0 && !pool.ending) {
    const client = await pool.connect();
    // Out of the pool an error of its connection has no listener, and an unheard one would crash the thread.
    client.on("error", () => {});
    client.release(true);
  }
}

/** A checked-out client that knows whether its connection broke, and gives itself back exactly once. */
export interface CheckedOut {
  /** The client. */
  client: PoolClient;
  /** True once the connection emitted an error (e.g. the server terminated the backend). */
  broken(): boolean;
  /** Returns the client to the pool, or destroys it when `destroy` or when it broke. */
  release(destroy?: boolean): void;
}

/**
 * Checks out a client with an `error` listener of its own: pg-pool listens only while a client is idle,
 * and an unheard `error` (the server terminating the backend) would crash the process.
 */
export async function checkout(pool: pg.Pool): Promise<CheckedOut> {
  const client = await pool.connect();
  let broken = false;
  let released = false;
  const onError = (): void => {
    broken = true;
  };
  client.on("error", onError);
  return {
    client,
    broken: () => broken,
    release(destroy = false) {
      if (released) return;
      released = true;
      client.removeListener("error", onError);
      client.release(destroy || broken);
    },
  };
}

/** Runs `fn` on a pooled client and always releases it (destroying it when its connection broke). */
export async function withClient<T>(pool: pg.Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const held = await checkout(pool);
  try {
    const result = await fn(held.client);
    held.release();
    return result;
  } catch (error) {
    held.release(isConnectionLost(error));
    throw error;
  }
}

/** True for the errors of a connection the server ended (a restart, `pg_terminate_backend`), not of the statement. */
export function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^57P0[1-3]$|^08/.test(code)) return true;
  return error instanceof Error && /Connection terminated|ECONNRESET|EPIPE/.test(error.message);
}

/** Socket codes and SQLSTATE classes of a server that cannot be reached or refuses every session (not of a statement). */
const UNREACHABLE = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|3D000|57P03|53300|28\w{3})$/;

/** True when `error` says the database cannot be reached now: refused or cut connections, a database that is gone. */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (isConnectionLost(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNREACHABLE.test(code)) return true;
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
}

/** `error` as a DatabaseUnavailableError when the database cannot be reached, else unchanged. */
export function asUnavailable(error: unknown): unknown {
  if (!isDatabaseUnreachable(error)) return error;
  const reason = error instanceof Error ? error.message || ((error as NodeJS.ErrnoException).code ?? error.name) : String(error);
  return new DatabaseUnavailableError(reason, { cause: error });
}

/**
 * Runs a read-only `fn` on a pooled client, once more on a fresh client when the first one's connection was
 * already cut: an idle client the server terminated can be handed out before its end is noticed.
 */
export async function withReadClient<T>(pool: pg.Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  try {
    return await withClient(pool, fn);
  } catch (error) {
    if (!isConnectionLost(error)) throw error;
    return withClient(pool, fn);
  }
}

/** Runs `fn` inside BEGIN … COMMIT on `client`, rolling back when it throws. */
export async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await fn();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** A pooled client in one transaction. */
export async function transaction<T>(pool: pg.Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, (client) => inTransaction(client, () => fn(client)));
}
