import { performance } from "node:perf_hooks";
import type { SwapPlan } from "../store.ts";
import type { Connection } from "./connection.ts";
import { CHANGES_TABLE } from "./capture.ts";
import { keyTuple } from "./range-plan.ts";
import { buildReplayPlan, forgetReplayed, replayChanges, type ReplaySite, type SqliteReplayPlan } from "./replay.ts";
import { userTables } from "./shadow-file.ts";
import { inOwnNames, STAGED_PREFIX } from "./staged-copy.ts";
import { pauseAfter } from "./writer-pause.ts";
import { TimedChunks } from "./timed-chunks.ts";

/** The rows a replay touched per table: the table's key expression and the keys as SQL literals. */
export type ReplayedKeys = Map<string, { key: string; literals: string[] }>;

/**
 * Per table, the logged changes already replayed into its staged copy before the lock (kept in the log until
 * the swap): every change of the table up to seq `through`, `count` of them (replayChanges takes them in seq
 * order, and the application's new changes get higher seqs), and the keys they touched.
 */
export type CaughtUp = Map<string, { through: number; count: number; keys: { key: string; literals: string[] } }>;

/** The key expression of `table` and the keys of its logged changes with a seq in (`after`, `through`], as SQL literals. */
function loggedKeys(db: Connection, table: string, replay: SqliteReplayPlan, range: { after: number; through: number }): { key: string; literals: string[] } {
  const literals = db.prepare(`SELECT DISTINCT key FROM main.${CHANGES_TABLE} WHERE tbl = ? AND seq > ? AND seq <= ?`).pluck().all(table, range.after, range.through) as string[];
  return { key: keyTuple(replay.shape).key, literals };
}

/** The shadowed tables with logged changes, each with its replay plan and the site of its staged copy. */
function replaySites(db: Connection, plan: SwapPlan): { table: string; replay: SqliteReplayPlan; site: ReplaySite }[] {
  const shadowed = userTables(db, "shadow");
  const logged = db.prepare(`SELECT DISTINCT tbl FROM main.${CHANGES_TABLE}`).pluck().all() as string[];
  return logged.filter((t) => shadowed.includes(t)).map((table) => ({
    table,
    replay: buildReplayPlan(db, { shadow: "shadow", origin: "main" }, { shadowPath: "", originPath: "" }, table, plan.owner),
    site: { origin: "main", targetSchema: "main", targetTable: `${STAGED_PREFIX}${table}` },
  }));
}

/** How often the catch-up checks that the application's backlog shrinks; it stops when it did not (the lock takes the rest). */
export const CATCH_UP_CHECK_MS = 10_000;

/**
 * Before the lock: replays into the staged copies what the application wrote since the engine's last replay
 * (the staging takes seconds to minutes on a big table), in short write transactions sized to hold the lock
 * a few ms (TimedChunks: a replayed row updates the copy's indexes at random pages, and its transform may run
 * on another thread), each followed by a pause, until a batch comes back short; or, while the application
 * writes faster than it replays, until the backlog of a table did not shrink over CATCH_UP_CHECK_MS, and the
 * swap's lock replays the rest. The log keeps these changes until the swap forgets them in its own
 * transaction: when the finalize fails, the staged copies go and the changes are still there for the shadow copies.
 */
export async function catchUp(db: Connection, plan: SwapPlan): Promise<CaughtUp> {
  const caughtUp: CaughtUp = new Map();
  const chunks = new TimedChunks();
  const backlog = db.prepare(`SELECT count(*) FROM main.${CHANGES_TABLE} WHERE tbl = ? AND seq > ?`).pluck();
  try {
    for (const { table, replay, site } of replaySites(db, plan)) {
      const map = plan.replayMapper(replay.shape);
      let through = 0;
      let count = 0;
      let check = performance.now() + CATCH_UP_CHECK_MS;
      let left = Infinity;
      for (;;) {
        const batch = chunks.rows;
        let locked = 0;
        // The hold counts from when BEGIN IMMEDIATE got the lock: time waiting for an application's writes is not a hold.
        const replayed = await inAsyncWriteTransaction(db, () => {
          locked = performance.now();
          return replayChanges(db, { ...replay, batch }, { ...site, afterSeq: through }, map);
        });
        const heldMs = performance.now() - locked;
        chunks.record(heldMs);
        await pauseAfter(db, heldMs);
        through = replayed.at(-1) ?? through;
        count += replayed.length;
        if (replayed.length < batch) break;
        if (performance.now() > check) {
          const now = backlog.get(table, through) as number;
          if (now >= left) break;
          left = now;
          check = performance.now() + CATCH_UP_CHECK_MS;
        }
      }
      caughtUp.set(table, { through, count, keys: loggedKeys(db, table, replay, { after: 0, through }) });
    }
  } catch (error) {
    throw inOwnNames(error);
  }
  return caughtUp;
}

/** Runs the async `fn` inside BEGIN IMMEDIATE … COMMIT, rolling back when it throws. */
async function inAsyncWriteTransaction<T>(db: Connection, fn: () => Promise<T>): Promise<T> {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = await fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Under the swap's write lock: replays every change logged after the catch-up into the staged copies, then
 * forgets the table's changes, caught up or not, by one range delete each. Returns how many changes it
 * replayed and the keys of those changes only (the foreign keys of the caught-up rows were checked before
 * the lock), so the foreign keys of exactly those rows can be checked under the lock: nothing in it grows
 * with what the catch-up replayed. A replayed row breaking a UNIQUE index of the copy fails here, in the table's own name.
 */
export async function replayRest(db: Connection, plan: SwapPlan, caughtUp: CaughtUp): Promise<{ replayed: number; keys: ReplayedKeys }> {
  const keys: ReplayedKeys = new Map();
  let replayed = 0;
  try {
    for (const { table, replay, site } of replaySites(db, plan)) {
      const before = caughtUp.get(table);
      const after = before?.through ?? 0;
      const map = plan.replayMapper(replay.shape);
      let through = after;
      let count = before?.count ?? 0;
      for (let seqs; (seqs = await replayChanges(db, replay, { ...site, afterSeq: through }, map)).length > 0; ) {
        through = seqs.at(-1)!;
        count += seqs.length;
        replayed += seqs.length;
      }
      keys.set(table, loggedKeys(db, table, replay, { after, through }));
      forgetReplayed(db, "main", table, { through, count });
    }
  } catch (error) {
    throw inOwnNames(error);
  }
  return { replayed, keys };
}
