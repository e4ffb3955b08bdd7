import type { RowMapper, SwapPlan } from "../store.ts";
import type { Connection } from "./connection.ts";
import { CHANGES_TABLE } from "./capture.ts";
import { keyTuple } from "./range-plan.ts";
import { buildReplayPlan, forgetReplayed, replayChanges, type ReplaySite, type SqliteReplayPlan } from "./replay.ts";
import { userTables } from "./shadow-file.ts";
import { inOwnNames, STAGED_PREFIX } from "./staged-copy.ts";

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

/**
 * Before the lock: replays into the staged copies what the application wrote since the engine's last replay
 * (the staging and the index builds take seconds on a big table), a batch per short write transaction,
 * until a batch comes back short; the swap's lock then replays only what came after. The log keeps these
 * changes until the swap forgets them in its own transaction: when the finalize fails, the staged copies go
 * and the changes are still there for the shadow copies.
 */
export async function catchUp(db: Connection, plan: SwapPlan): Promise<CaughtUp> {
  const caughtUp: CaughtUp = new Map();
  try {
    for (const { table, replay, site } of replaySites(db, plan)) {
      const map = plan.replayMapper(replay.shape);
      const seqs: number[] = [];
      for (;;) {
        const batch = await replayBatch(db, replay, { ...site, afterSeq: seqs.at(-1) ?? 0 }, map);
        seqs.push(...batch);
        if (batch.length < replay.batch) break;
      }
      caughtUp.set(table, seqs);
    }
  } catch (error) {
    throw inOwnNames(error);
  }
  return caughtUp;
}

/** One batch of replayed changes into a staged copy, in its own write transaction. */
async function replayBatch(db: Connection, replay: SqliteReplayPlan, site: ReplaySite, map: RowMapper): Promise<number[]> {
  db.exec("BEGIN IMMEDIATE");
  try {
    const seqs = await replayChanges(db, replay, site, map);
    db.exec("COMMIT");
    return seqs;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Under the swap's write lock: replays every change logged after the catch-up into the staged copies and
 * forgets all of them. Returns how many changes it replayed, and which keys, so the foreign keys of exactly
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
      const literals = db.prepare(`SELECT DISTINCT key FROM main.${CHANGES_TABLE} WHERE tbl = ? AND seq > ?`).pluck().all(table, after) as string[];
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
