import { performance } from "node:perf_hooks";
import { type Connection, inWriteTransaction } from "./connection.ts";

/** Shortest pause after one of the finalize's write transactions outside its lock window, in ms. */
export const MIN_WRITER_PAUSE_MS = 10;

/**
 * Runs `fn` in a write transaction of its own, then leaves the write lock free for as long as it was held
 * (at least MIN_WRITER_PAUSE_MS). SQLite has no queue for writers: a waiting writer sleeps and retries, up to
 * 100 ms apart under a busy timeout, so back-to-back transactions can keep an application's writer out
 * across many of them (here up to 1.5 s behind 20,000-row chunks of 20–30 ms each). With the lock free half
 * of the time, it gets in at one of its next tries. Costs the same time again in wall time, never under the lock.
 */
export async function writeThenPause<T>(db: Connection, fn: () => T): Promise<T> {
  const started = performance.now();
  const result = inWriteTransaction(db, fn);
  const held = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, Math.max(MIN_WRITER_PAUSE_MS, held)));
  return result;
}
