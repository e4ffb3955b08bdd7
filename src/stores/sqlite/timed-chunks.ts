import type { Connection } from "./connection.ts";
import { writeThenPause } from "./writer-pause.ts";

/** How long one of the finalize's write transactions outside its lock window aims to hold the write lock, in ms. */
export const TARGET_HOLD_MS = 4;
/** Rows of the first chunk, before any was timed. */
export const FIRST_CHUNK_ROWS = 100;
/** Most rows in one chunk, however fast the last one was. */
export const MAX_CHUNK_ROWS = 20_000;
// A chunk grows at most this many times over the last one, so one fast chunk cannot start a long one.
const MAX_GROWTH = 2;

/**
 * Sizes the chunks of a piecewise write (staging rows, deleting rows, replaying changes) from how long the
 * last one held the write lock: rows for the next = clamp(rows × TARGET_HOLD_MS / held), so narrow rows,
 * 2 KB rows and rows that update three indexes all hold the lock a few ms at a time.
 */
export class TimedChunks {
  /** Rows the next chunk should take. */
  rows = FIRST_CHUNK_ROWS;

  /** Runs `fn` (a chunk of `this.rows` rows) in a write transaction followed by a pause (writeThenPause), and sizes the next chunk from its hold. */
  async write<T>(db: Connection, fn: () => T): Promise<T> {
    const { result, heldMs } = await writeThenPause(db, fn);
    this.record(heldMs);
    return result;
  }

  /** Sizes the next chunk from the hold of the last one, which took `this.rows` rows and held the lock `heldMs`. */
  record(heldMs: number): void {
    const scaled = Math.floor((this.rows * TARGET_HOLD_MS) / Math.max(heldMs, 0.1));
    this.rows = Math.max(1, Math.min(MAX_CHUNK_ROWS, this.rows * MAX_GROWTH, scaled));
  }
}
