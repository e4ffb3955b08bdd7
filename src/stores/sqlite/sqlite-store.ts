import { StartupError } from "../../core/errors.ts";
import type { OriginReader, SessionOptions, ShadowSession, Store, SwapPlan, SwapResult } from "../store.ts";
import type { CommandClaim, CommandRecord, MigrationRecord, RunControl, RunProgress, Snapshot, ThrottleChange } from "../../core/state-store.ts";
import { ownerAliveByHeartbeat } from "../owner-liveness.ts";
import { createBookkeeping, holdsRunLock, readCommand, readMigrations, readThrottleRow } from "./bookkeeping.ts";
import { createCapture, readGuarded } from "./capture.ts";
import { clearShadowFiles } from "./clear-shadow.ts";
import { BUSY_TIMEOUT_MS, type Connection, isBusy, openConnection, shadowPathOf } from "./connection.ts";
import { FilePresence } from "./file-presence.ts";
import { busyLocks, finalizeSwapOn } from "./finalize-swap.ts";
import { recordLockWindowRows } from "./lock-window.ts";
import { readOriginAt } from "./origin-reader.ts";
import { protectTable } from "./protection.ts";
import { countTableRows } from "./row-counts.ts";
import { SqliteShadowSession } from "./shadow-session.ts";
import * as writes from "./state-writes.ts";

/** Runs `open`; any failure becomes a StartupError that names the file, for an operator, without a stack trace. */
function openingFile<T>(path: string, open: () => T): T {
  try {
    return open();
  } catch (error) {
    throw new StartupError(`Cannot open the SQLite database ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Longest a heartbeat waits for the database's write lock, in ms. */
const HEARTBEAT_BUSY_MS = 200;

/** The SQLite store: bookkeeping tables in the database file, shadow copies in `<file>.shadow`. */
export class SqliteStore implements Store {
  /** Always `"sqlite"`. */
  readonly dialect = "sqlite" as const;
  /** Absolute path of the shadow file. */
  readonly shadowPath: string;
  private readonly db: Connection;
  private readonly presence: FilePresence;

  /**
   * Opens the database at `path` (creating it when missing, unless `existing`); call `init()` before use. A
   * StartupError naming the path when it cannot.
   */
  constructor(readonly path: string, existing = false) {
    this.db = openingFile(path, () => openConnection(path, existing));
    this.presence = new FilePresence(path);
    this.shadowPath = shadowPathOf(path);
  }

  /** Creates the `_migration_` tables (a StartupError naming the path when the file cannot be written). */
  async init(): Promise<void> {
    openingFile(this.path, () => {
      createBookkeeping(this.db);
      createCapture(this.db);
    });
  }

  /** One read transaction over both tables; a DatabaseUnavailableError when the file is gone or unusable (every request reads one first). */
  async snapshot(): Promise<Snapshot> {
    this.presence.check();
    try {
      return this.db.transaction(() => ({ migrations: readMigrations(this.db), command: readCommand(this.db), guarded: readGuarded(this.db) }))();
    } catch (error) {
      throw this.presence.unusable(error);
    }
  }

  /** Nothing to release: on SQLite liveness is a pid probe plus the heartbeat. */
  async releaseRunLock(): Promise<void> {}

  /** See StateStore.claimCommand. */
  async claimCommand(claim: CommandClaim): Promise<boolean> {
    return writes.claimCommandRow(this.db, claim, Date.now());
  }

  /** See StateStore.holdsLease. */
  async holdsLease(owner: string): Promise<boolean> {
    return holdsRunLock(this.db, owner);
  }

  /** See StateStore.setMigrationStates. */
  async setMigrationStates(owner: string, records: MigrationRecord[]): Promise<boolean> {
    return writes.setMigrationStatesRows(this.db, owner, records);
  }

  /** See StateStore.appendOutput. */
  async appendOutput(owner: string, text: string): Promise<void> {
    writes.appendOutputText(this.db, owner, text);
  }

  /** See StateStore.setProgress. */
  async setProgress(owner: string, progress: RunProgress): Promise<void> {
    writes.setProgressRow(this.db, owner, progress);
  }

  /** See Store.completeCommand. */
  async completeCommand(owner: string, records: MigrationRecord[], exception: string | null, liftProtection: boolean): Promise<boolean> {
    return writes.completeCommandRows(this.db, owner, records, exception, liftProtection, Date.now());
  }

  /**
   * See StateStore.heartbeat. It runs on the main thread, which serves every request: behind an application's
   * write transaction it waits HEARTBEAT_BUSY_MS at most instead of the connection's 10 s, and the beat is
   * skipped (the next one comes two seconds later).
   */
  async heartbeat(owner: string): Promise<void> {
    const busyTimeout = this.db.pragma("busy_timeout", { simple: true }) as number;
    this.db.pragma(`busy_timeout = ${HEARTBEAT_BUSY_MS}`);
    try {
      writes.heartbeatRow(this.db, owner, Date.now());
    } catch (error) {
      if (!isBusy(error)) throw error;
    } finally {
      this.db.pragma(`busy_timeout = ${busyTimeout}`);
    }
  }

  /** See StateStore.setThrottle. */
  async setThrottle(owner: string, change: ThrottleChange): Promise<boolean> {
    return writes.setThrottleRow(this.db, owner, change, Date.now());
  }

  /** See StateStore.readThrottle. */
  async readThrottle(owner: string): Promise<RunControl | null> {
    return readThrottleRow(this.db, owner);
  }

  /** See StateStore.requestCancel. */
  async requestCancel(owner: string, by: string): Promise<boolean> {
    return writes.requestCancelRow(this.db, owner, by);
  }

  /**
   * See Store.enterSwap. Marking the swap writes the command row, which waits for the database's one write
   * lock: behind an application's write transaction it is the swap's lock wait, and as retryable.
   */
  async enterSwap(owner: string, lockWaitMs = BUSY_TIMEOUT_MS): Promise<boolean> {
    const busyTimeout = this.db.pragma("busy_timeout", { simple: true }) as number;
    this.db.pragma(`busy_timeout = ${Math.max(1, Math.round(lockWaitMs))}`);
    try {
      return writes.enterSwapRow(this.db, owner);
    } catch (error) {
      if (isBusy(error)) throw busyLocks(lockWaitMs, error);
      throw error;
    } finally {
      this.db.pragma(`busy_timeout = ${busyTimeout}`);
    }
  }

  /** Same host: pid probe plus heartbeat age; other host: heartbeat age. */
  async ownerAlive(command: CommandRecord): Promise<boolean> {
    return ownerAliveByHeartbeat(command);
  }

  /** See StateStore.interruptCommand. */
  async interruptCommand(owner: string, exception: string): Promise<boolean> {
    return writes.interruptCommandRow(this.db, owner, exception, Date.now());
  }

  /** See StateStore.takeUnseenOutput. */
  async takeUnseenOutput(): Promise<string> {
    return writes.takeUnseenOutputRow(this.db);
  }

  /** See StateStore.countRows. */
  async countRows(tables: readonly string[]): Promise<number> {
    return countTableRows(this.path, this.shadowPath, this.db, tables);
  }

  /** Deletes the shadow file and the staged leftovers of a crashed finalize. */
  async clearShadow(owner: string): Promise<void> {
    clearShadowFiles(this.db, this.shadowPath, owner);
  }

  /** Installs the write-protection triggers on the origin table. */
  async protect(owner: string, table: string, message: string): Promise<boolean> {
    return protectTable(this.db, owner, table, message);
  }

  /** Opens a session on the shadow file with the origin attached. */
  async openSession(options: SessionOptions): Promise<ShadowSession> {
    return new SqliteShadowSession(this.shadowPath, this.path, options);
  }

  /** The atomic swap on this store's origin connection. */
  async finalizeSwap(plan: SwapPlan): Promise<SwapResult> {
    return finalizeSwapOn(this.db, this.shadowPath, plan);
  }

  /** See Store.recordLockWindow. */
  async recordLockWindow(owner: string, indexes: readonly number[], lockWindowMs: number, output: string, lastLine: string): Promise<void> {
    recordLockWindowRows(this.db, owner, indexes, lockWindowMs, output, lastLine);
  }

  /** See ShadowStore.readOrigin. */
  async readOrigin<T>(fn: (reader: OriginReader) => Promise<T>): Promise<T> {
    return readOriginAt(this.path, fn);
  }

  /** Nothing to release: the file's one connection is no server's session. */
  async releaseIdle(): Promise<void> {}

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
