/// <reference lib="es2024.sharedmemory" />
/**
 * Turns at writing ranges, for a store with one writer at a time (SQLite), shared by the threads of one
 * transform pool through a SharedArrayBuffer lock. A thread whose range is ready waits for its turn and is
 * woken the moment the writer before it commits, where SQLite's busy handler would sleep (1, 2, 5, 10, …
 * up to 100 ms between tries) while another thread holds the file's write lock. The store still
 * serializes the writers; the turns only save the sleeps, so a wait longer than MAX_WAIT_MS goes ahead.
 */
let turns: Int32Array | null = null;

/** Longest wait for a turn, in ms: a thread that died holding the turn costs this, never a hang. */
const MAX_WAIT_MS = 5_000;

/** A new lock for the threads of one pool, to hand to each of them (and this one) with useWriteTurns. */
export function newWriteTurns(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/** Makes this thread's range writes take turns on `lock` (null: on nothing). */
export function useWriteTurns(lock: SharedArrayBuffer | null): void {
  turns = lock === null ? null : new Int32Array(lock);
}

/** Runs `write` (a whole write transaction) in this thread's turn. */
export async function inTurn<T>(write: () => T): Promise<T> {
  const lock = turns;
  if (lock === null) return write();
  const deadline = Date.now() + MAX_WAIT_MS;
  let held = Atomics.compareExchange(lock, 0, 0, 1) === 0;
  while (!held && Date.now() < deadline) {
    const wait = Atomics.waitAsync(lock, 0, 1, deadline - Date.now());
    if (wait.async) await wait.value;
    held = Atomics.compareExchange(lock, 0, 0, 1) === 0;
  }
  try {
    return write();
  } finally {
    if (held) {
      Atomics.store(lock, 0, 0);
      Atomics.notify(lock, 0, 1);
    }
  }
}
