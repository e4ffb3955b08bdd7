import { performance } from "node:perf_hooks";
import { type Connection, inWriteTransaction } from "./connection.ts";

/** Shortest pause after one of the finalize's write transactions outside its lock window, in ms. */
export const MIN_WRITER_PAUSE_MS = 10;

/** How often the finalize's piecewise writes checkpoint the WAL, at most, in ms. */
export const CHECKPOINT_EVERY_MS = 500;
const lastCheckpoint = new WeakMap<Connection, number>();

/**
 * Checkpoints the WAL (every CHECKPOINT_EVERY_MS), then leaves the write lock free after a write transaction that held it `heldMs`: for as long again, at least
 * MIN_WRITER_PAUSE_MS. SQLite has no queue for writers: a waiting writer sleeps and retries (1, 2, 5, 10, 15,
 * 20, 25 … up to 100 ms apart under a busy timeout), so back-to-back transactions can keep an application's
 * writer out across many of them (here up to 1.5 s behind 20,000-row chunks of 20–30 ms each). With the lock
 * free most of the time, it gets in at one of its next tries. Costs wall time, never time under the lock.
 */
export function pauseAfter(db: Connection, heldMs: number): Promise<void> {
  // PASSIVE: it waits for no one and no one waits for it. Not after every chunk: each one syncs the files. See withoutAutoCheckpoint.
  if (performance.now() - (lastCheckpoint.get(db) ?? 0) > CHECKPOINT_EVERY_MS) {
    db.pragma("main.wal_checkpoint(PASSIVE)");
    lastCheckpoint.set(db, performance.now());
  }
  return new Promise((resolve) => setTimeout(resolve, Math.max(MIN_WRITER_PAUSE_MS, heldMs)));
}

/**
 * Runs `fn` in a write transaction of its own, then pauses (pauseAfter); returns its result and how long it
 * held the lock: from when BEGIN IMMEDIATE got it (not while it waited for an application's transaction) to
 * the COMMIT's return.
 */
export async function writeThenPause<T>(db: Connection, fn: () => T): Promise<{ result: T; heldMs: number }> {
  let locked = 0;
  const result = inWriteTransaction(db, () => {
    locked = performance.now();
    return fn();
  });
  const heldMs = performance.now() - locked;
  await pauseAfter(db, heldMs);
  return { result, heldMs };
}

/**
 * Runs `fn` with the connection's automatic WAL checkpoint off, then restores it; pauseAfter checkpoints
 * instead. The automatic one runs inside COMMIT's call after the lock is released, so its time (0.1–0.7 s
 * under load) read as a hold and shrank the chunks to one row.
 */
export async function withoutAutoCheckpoint<T>(db: Connection, fn: () => Promise<T>): Promise<T> {
  const pages = db.pragma("main.wal_autocheckpoint", { simple: true }) as number;
  db.pragma("main.wal_autocheckpoint = 0");
  try {
    return await fn();
  } finally {
    db.pragma(`main.wal_autocheckpoint = ${pages}`);
  }
}
