import Database from "better-sqlite3";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { StartupError } from "../../core/errors.ts";

/** A better-sqlite3 connection. */
export type Connection = Database.Database;

/** How long a connection waits for another one's write lock before failing, in ms. */
export const BUSY_TIMEOUT_MS = 10_000;

/** The file next to the database that holds the shadow copies: `<dbpath>.shadow`. */
export function shadowPathOf(databasePath: string): string {
  return `${databasePath}.shadow`;
}

/**
 * Makes sure the directory of a database file exists: creates it when `create`, else a StartupError naming
 * the file and the missing directory (a typo in a path must not leave a new empty database somewhere).
 */
export function ensureDatabaseDirectory(path: string, create: boolean): void {
  const directory = dirname(path);
  if (existsSync(directory)) return;
  if (create) {
    mkdirSync(directory, { recursive: true });
    return;
  }
  throw new StartupError(`Cannot create the SQLite database ${path}: the directory ${directory} does not exist (create it, or start with --create)`);
}

/** Opens a connection in WAL mode with a busy timeout, creating parent directories and the file unless `existing` (then a missing file is an error). */
export function openConnection(path: string, existing = false): Connection {
  if (!existing) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { fileMustExist: existing });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma("journal_mode = WAL");
  return db;
}

/** True for SQLITE_BUSY (and its extended codes): another connection held the write lock for longer than the busy timeout. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/** Runs `fn` inside BEGIN IMMEDIATE … COMMIT, rolling back when it throws. */
export function inWriteTransaction<T>(db: Connection, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/**
 * Runs `fn` in a deferred transaction, for connections with other databases attached: only the files
 * `fn` writes get write-locked, where BEGIN IMMEDIATE would lock every attached file, the origin
 * included, and stall the application's writes for the whole transaction. `fn` must write a file
 * before it reads it, or a concurrent commit to that file fails the upgrade with SQLITE_BUSY.
 */
export function inDeferredTransaction<T>(db: Connection, fn: () => T): T {
  return db.transaction(fn).deferred();
}
