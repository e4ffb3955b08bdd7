import { performance } from "node:perf_hooks";
import type { RowMapper, SwapPlan } from "../store.ts";
import type { Connection } from "./connection.ts";
import { CHANGES_TABLE } from "./capture.ts";
import { keyTuple } from "./range-plan.ts";
import { buildReplayPlan, forgetReplayed, replayChanges, type ReplaySite, type SqliteReplayPlan } from "./replay.ts";
import { userTables } from "./shadow-file.ts";
import { inOwnNames, STAGED_PREFIX } from "./staged-copy.ts";
import { MIN_WRITER_PAUSE_MS } from "./writer-pause.ts";

/** The rows a replay touched per table: the table's key expression and the keys as SQL literals. */
export type ReplayedKeys = Map<string, { key: string; literals: string[] }>;

/** Per table, the logged changes already replayed into its staged copy before the lock (kept in the log until the swap). */
export type CaughtUp = Map<string, number[]>;

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

/** Changes per write transaction of the catch-up: each replayed row updates the copy's indexes at random pages, about 0.1–1 ms a row here. */
export const CATCH_UP_BATCH = 100;

/** How long the catch-up goes on at most while the application writes faster than it replays; the lock takes the rest. */
export const CATCH_UP_MS = 10_000;

/**
 * Before the lock: replays into the staged copies what the application wrote since the engine's last replay
 * (the staging and the index builds take seconds on a big table), CATCH_UP_BATCH changes per short write
 * transaction followed by a pause, until a batch comes back short (or CATCH_UP_MS passed); the swap's lock
 * then replays only what came after. The log keeps these changes until the swap forgets them in its own
 * transaction: when the finalize fails, the staged copies go and the changes are still there for the shadow copies.
 */
export async function catchUp(db: Connection, plan: SwapPlan): Promise<CaughtUp> {
  const caughtUp: CaughtUp = new Map();
  const deadline = performance.now() + CATCH_UP_MS;
  try {
    for (const { table, replay, site } of replaySites(db, plan)) {
      const map = plan.replayMapper(replay.shape);
      const small = { ...replay, batch: CATCH_UP_BATCH };
      const seqs: number[] = [];
      for (;;) {
        const batch = await replayBatch(db, small, { ...site, afterSeq: seqs.at(-1) ?? 0 }, map);
        seqs.push(...batch);
        if (batch.length < small.batch || performance.now() > deadline) break;
      }
      caughtUp.set(table, seqs);
    }
  } catch (error) {
    throw inOwnNames(error);
  }
  return caughtUp;
}

/** One batch of replayed changes into a staged copy, in its own write transaction, then a pause as long (see writeThenPause). */
async function replayBatch(db: Connection, replay: SqliteReplayPlan, site: ReplaySite, map: RowMapper): Promise<number[]> {
  const started = performance.now();
  db.exec("BEGIN IMMEDIATE");
  let seqs: number[];
  try {
    seqs = await replayChanges(db, replay, site, map);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(MIN_WRITER_PAUSE_MS, performance.now() - started)));
  return seqs;
}

/**
 * Under the swap's write lock: replays every change logged after the catch-up into the staged copies and
 * forgets all of them. Returns how many changes it replayed, and the keys of every change in the log (the
 * catch-up's too, which ran after the foreign key check before the lock), so the foreign keys of exactly
 * those rows can be checked under the lock. A replayed row breaking a UNIQUE index of the copy fails here,
 * in the table's own name.
 */
export async function replayRest(db: Connection, plan: SwapPlan, caughtUp: CaughtUp): Promise<{ replayed: number; keys: ReplayedKeys }> {
  const keys: ReplayedKeys = new Map();
  let replayed = 0;
  try {
    for (const { table, replay, site } of replaySites(db, plan)) {
      const before = caughtUp.get(table) ?? [];
      const after = before.at(-1) ?? 0;
      const literals = db.prepare(`SELECT DISTINCT key FROM main.${CHANGES_TABLE} WHERE tbl = ?`).pluck().all(table) as string[];
      keys.set(table, { key: keyTuple(replay.shape).key, literals });
      const map = plan.replayMapper(replay.shape);
      forgetReplayed(db, "main", table, before);
      for (let seqs; (seqs = await replayChanges(db, replay, { ...site, afterSeq: after }, map)).length > 0; ) {
        forgetReplayed(db, "main", table, seqs);
        replayed += seqs.length;
      }
    }
  } catch (error) {
    throw inOwnNames(error);
  }
  return { replayed, keys };
}
