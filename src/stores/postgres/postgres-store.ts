import type pg from "pg";
import type { OriginReader, SessionOptions, ShadowSession, Store, SwapPlan, SwapResult } from "../store.ts";
import type { CommandClaim, CommandRecord, MigrationRecord, RunControl, RunProgress, Snapshot, ThrottleChange } from "../../core/state-store.ts";
import { LeaseLostError } from "../lease-lost.ts";
import { type Bookkeeping, appendOutputRow, bookkeepingIn, createBookkeeping, lockOwnedCommand, readSnapshot, readThrottleRow } from "./bookkeeping.ts";
import { finalizeSwapOn } from "./finalize-swap.ts";
import { recordLockWindowRows } from "./lock-window.ts";
import { DEFAULT_LOCK_POLICY, type LockPolicy, retryOnLockTimeout, withLockRetry } from "./lock-retry.ts";
import { asUnavailable, checkout, closeIdleClients, createPool, DEFAULT_POOL_MAX, inTransaction, transaction, withClient, withReadClient } from "./pg-pool.ts";
import { checkPostgresUrl, connectError } from "./pg-target.ts";
import { createCapture } from "./capture.ts";
import { readOriginOn } from "./origin-reader.ts";
import { createProtectFunction, dropLiftedProtection, protectTable } from "./protection.ts";
import { RunLock, runLockKey } from "./run-lock.ts";
import { countLocated, dropShadowSchema, type Schemas, shadowSchemaFor } from "./shadow-schema.ts";
import { PostgresShadowSession } from "./shadow-session.ts";
import * as writes from "./state-writes.ts";

/** Tuning of a PostgreSQL store. */
export interface PostgresStoreOptions {
  /** Most connections of this store's pool (default 5). */
  poolMax?: number;
  /** How DDL (protection, finalize swap, interrupt) waits for table locks (default DEFAULT_LOCK_POLICY). */
  lockPolicy?: Partial<LockPolicy>;
}

/**
 * The PostgreSQL store: bookkeeping tables and the protection function in the connection's current
 * schema, shadow copies in a shadow schema beside it, the run lock as a session advisory lock.
 */
export class PostgresStore implements Store {
  /** Always `"postgres"`. */
  readonly dialect = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly lockPolicy: LockPolicy;
  private state: { names: Bookkeeping; schemas: Schemas; runLock: RunLock } | null = null;

  /** Checks the URL (a StartupError without the password when malformed) and creates the pool; call `init()` next. */
  constructor(
    private readonly url: string,
    options: PostgresStoreOptions = {},
  ) {
    checkPostgresUrl(url);
    this.pool = createPool(url, options.poolMax ?? DEFAULT_POOL_MAX);
    this.lockPolicy = { ...DEFAULT_LOCK_POLICY, ...options.lockPolicy };
  }

  /** Connects (a StartupError naming host, port and database when it cannot) and creates the bookkeeping when missing. */
  async init(): Promise<void> {
    const held = await checkout(this.pool).catch((error: unknown) => {
      throw connectError(this.url, error);
    });
    try {
      const client = held.client;
      this.state = await inTransaction(client, async () => {
        // Replicas starting together would race on CREATE TABLE IF NOT EXISTS; one at a time.
        await client.query("SELECT pg_advisory_xact_lock(x'4d494752'::int, 0)");
        const { rows } = await client.query<{ schema: string | null }>("SELECT current_schema() AS schema");
        const origin = rows[0]?.schema;
        if (!origin) throw new Error("The PostgreSQL connection has no current schema: its search_path names no existing schema");
        const names = bookkeepingIn(origin);
        await createBookkeeping(client, names);
        await createProtectFunction(client, origin);
        await createCapture(client, origin);
        const runLock = new RunLock(this.pool, await runLockKey(client, names.command));
        return { names, schemas: { origin, shadow: shadowSchemaFor(origin) }, runLock };
      });
    } finally {
      held.release();
    }
  }

  /** One statement over both tables; a DatabaseUnavailableError when the database cannot be reached (every request reads one first). */
  async snapshot(): Promise<Snapshot> {
    try {
      return await withReadClient(this.pool, (client) => readSnapshot(client, this.ready().names));
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  /** The compare-and-set, the protection and then the advisory lock, in one transaction; the winner's client stays pinned holding the lock. */
  async claimCommand(claim: CommandClaim): Promise<boolean> {
    const { runLock, names } = this.ready();
    return retryOnLockTimeout(this.lockPolicy, "Starting the command", () =>
      runLock.claim(claim.owner, (client, take) => writes.claimCommandRow(client, names, claim, take, this.lockPolicy)),
    );
  }

  /** See StateStore.holdsLease. */
  async holdsLease(owner: string): Promise<boolean> {
    return withReadClient(this.pool, async (client) => {
      const { rowCount } = await client.query(`SELECT 1 FROM ${this.ready().names.command} WHERE id = 1 AND running AND owner = $1`, [owner]);
      return rowCount === 1;
    });
  }

  /** Unlocks and releases the pinned client of `owner`. */
  async releaseRunLock(owner: string): Promise<void> {
    await this.ready().runLock.release(owner);
  }

  /** Alive while the owner's session holds the advisory lock: PostgreSQL frees it when that process dies. */
  async ownerAlive(command: CommandRecord): Promise<boolean> {
    return this.ready().runLock.alive(command);
  }

  /** See StateStore.setMigrationStates. */
  async setMigrationStates(owner: string, records: MigrationRecord[]): Promise<boolean> {
    return withClient(this.pool, (client) => writes.setMigrationStatesRows(client, this.ready().names, owner, records));
  }

  /** See StateStore.appendOutput. */
  async appendOutput(owner: string, text: string): Promise<void> {
    await withClient(this.pool, (client) => appendOutputRow(client, this.ready().names, owner, text));
  }

  /** See StateStore.setProgress. */
  async setProgress(owner: string, progress: RunProgress): Promise<void> {
    await withClient(this.pool, (client) => writes.setProgressRow(client, this.ready().names, owner, progress));
  }

  /** See Store.completeCommand; retried like other DDL when lifting the protection waits for a table lock. */
  async completeCommand(owner: string, records: MigrationRecord[], exception: string | null, liftProtection: boolean): Promise<boolean> {
    const { names } = this.ready();
    const completed = await withLockRetry(this.pool, this.lockPolicy, "Ending the command", (client) =>
      writes.completeCommandRows(client, names, owner, records, exception, liftProtection),
    );
    if (completed && liftProtection) await this.dropLifted();
    return completed;
  }

  /** See StateStore.heartbeat (informational here: liveness is the advisory lock). */
  async heartbeat(owner: string): Promise<void> {
    await withClient(this.pool, (client) => writes.heartbeatRow(client, this.ready().names, owner));
  }

  /** See StateStore.setThrottle. */
  async setThrottle(owner: string, change: ThrottleChange): Promise<boolean> {
    return withClient(this.pool, (client) => writes.setThrottleRow(client, this.ready().names, owner, change));
  }

  /** See StateStore.readThrottle. */
  async readThrottle(owner: string): Promise<RunControl | null> {
    return withReadClient(this.pool, (client) => readThrottleRow(client, this.ready().names, owner));
  }

  /** See StateStore.requestCancel. */
  async requestCancel(owner: string, by: string): Promise<boolean> {
    return withClient(this.pool, (client) => writes.requestCancelRow(client, this.ready().names, owner, by));
  }

  /** See Store.enterSwap. */
  async enterSwap(owner: string): Promise<boolean> {
    return withClient(this.pool, (client) => writes.enterSwapRow(client, this.ready().names, owner));
  }

  /** See StateStore.interruptCommand; retried like other DDL when a table lock is busy. */
  async interruptCommand(owner: string, exception: string): Promise<boolean> {
    const { names } = this.ready();
    const interrupted = await withLockRetry(this.pool, this.lockPolicy, "Interrupting the command", (client) =>
      writes.interruptCommandRows(client, names, owner, exception),
    );
    if (interrupted) await this.dropLifted();
    return interrupted;
  }

  /** See StateStore.takeUnseenOutput. */
  async takeUnseenOutput(): Promise<string> {
    return withClient(this.pool, (client) => writes.takeUnseenOutputRow(client, this.ready().names));
  }

  /** See StateStore.countRows. */
  async countRows(tables: readonly string[]): Promise<number> {
    return withClient(this.pool, async (client) => {
      let total = 0;
      for (const table of new Set(tables)) total += await countLocated(client, this.ready().schemas, table);
      return total;
    });
  }

  /** Drops the shadow schema with everything in it, in a transaction fenced by `owner`'s lease. */
  async clearShadow(owner: string): Promise<void> {
    const { names, schemas } = this.ready();
    await withLockRetry(this.pool, this.lockPolicy, "Dropping the shadow copies", async (client) => {
      if (!(await lockOwnedCommand(client, names, owner, "KEY SHARE"))) throw new LeaseLostError(owner, "clearing the shadow copies");
      await dropShadowSchema(client, schemas);
    });
  }

  /** Installs the statement-level protection trigger, fenced by `owner`'s lease; retried with lock_timeout so a long writer does not stall others. */
  async protect(owner: string, table: string, message: string): Promise<boolean> {
    const { names, schemas } = this.ready();
    return withLockRetry(this.pool, this.lockPolicy, `Protecting table "${table}"`, async (client) => {
      if (!(await lockOwnedCommand(client, names, owner, "KEY SHARE"))) throw new LeaseLostError(owner, `protecting table "${table}"`);
      return protectTable(client, schemas.origin, table, message);
    });
  }

  /** A pinned client with the shadow schema first on its search path. */
  async openSession(options: SessionOptions): Promise<ShadowSession> {
    return PostgresShadowSession.open(this.pool, this.ready().schemas, this.ready().names.command, this.url, options);
  }

  /** See finalizeSwapOn. */
  async finalizeSwap(plan: SwapPlan): Promise<SwapResult> {
    const { names, schemas } = this.ready();
    return finalizeSwapOn({ pool: this.pool, names, schemas, lockPolicy: this.lockPolicy }, plan);
  }

  /** See Store.recordLockWindow. */
  async recordLockWindow(owner: string, indexes: readonly number[], lockWindowMs: number, output: string, lastLine: string): Promise<void> {
    await transaction(this.pool, (client) => recordLockWindowRows(client, this.ready().names, owner, indexes, lockWindowMs, output, lastLine));
  }

  /** See ShadowStore.readOrigin. */
  async readOrigin<T>(fn: (reader: OriginReader) => Promise<T>): Promise<T> {
    return readOriginOn(this.pool, this.ready().schemas.origin, fn);
  }

  /** Releases the run lock if held and ends the pool. */
  async close(): Promise<void> {
    await this.state?.runLock.close();
    await this.pool.end();
  }

  /** See Store.releaseIdle: the pool's idle clients end now rather than after its idle timeout. */
  async releaseIdle(): Promise<void> {
    await closeIdleClients(this.pool);
  }

  /** Best effort: a disabled protection trigger is inert, only tidier gone. */
  private async dropLifted(): Promise<void> {
    await withClient(this.pool, (client) => dropLiftedProtection(client, this.ready().schemas.origin)).catch(() => {});
  }

  private ready(): { names: Bookkeeping; schemas: Schemas; runLock: RunLock } {
    if (this.state === null) throw new Error("The PostgreSQL store is used before init()");
    return this.state;
  }
}
