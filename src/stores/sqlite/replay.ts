import type { Row } from "../../migrations/types.ts";
import { LeaseLostError } from "../lease-lost.ts";
import { ReplayYielded } from "../replay-yielded.ts";
import type { ReplayPlan, RowMapper } from "../store.ts";
import { COMMAND_TABLE, holdsRunLock } from "./bookkeeping.ts";
import { CHANGES_TABLE, REPLAYED_TABLE } from "./capture.ts";
import { type Connection, inDeferredTransaction } from "./connection.ts";
import { keyExpressions, keyTuple } from "./range-plan.ts";
import { insertRows } from "./row-writes.ts";
import { quoteIdent } from "./sql.ts";
import { readShape, type SqliteShape } from "./table-shape.ts";
import { connectionKey, workerConnections } from "./worker-connections.ts";

/** An SQLite replay plan: the two files a worker opens and the columns a replayed row takes from the origin. */
export interface SqliteReplayPlan extends ReplayPlan {
  /** Always `"sqlite"`. */
  dialect: "sqlite";
  /** The shadow table's shape. */
  shape: SqliteShape;
  /** The shadow file (opened as `main`). */
  shadowPath: string;
  /** The database file (attached as `origin`). */
  originPath: string;
  /** Writable columns of both tables (and `rowid` for a rowid table without alias): what a replayed row takes from the origin. */
  keptColumns: string[];
}

/** Where one connection finds the tables of a replay: the origin table's schema, the target table, the log's schema. */
export interface ReplaySite {
  /** Schema of the origin table (and of the change log). */
  origin: string;
  /** Schema of the table the changes go to. */
  targetSchema: string;
  /** Name of the table the changes go to (the shadow copy, or its staged copy at the swap). */
  targetTable: string;
  /** Only changes logged after this sequence number (the finalize's replays into a staged copy before its lock). */
  afterSeq?: number;
}

/** Changes one batch takes from the log unless configured. */
export const REPLAY_BATCH = 2_000;

/** The replay plan of a captured table, from the shapes of its shadow copy (`shadowSchema`) and origin (`originSchema`) on `db`. */
export function buildReplayPlan(
  db: Connection, schemas: { shadow: string; origin: string }, paths: { shadowPath: string; originPath: string }, table: string, owner: string | null,
): SqliteReplayPlan {
  const shape = readShape(db, schemas.shadow, table);
  const origin = readShape(db, schemas.origin, table);
  const rowid = shape.byRowid && shape.rowidAlias === null ? ["rowid"] : [];
  return {
    dialect: "sqlite", shape, owner, batch: REPLAY_BATCH, ...paths,
    keptColumns: [...rowid, ...shape.writableColumns.filter((c) => origin.writableColumns.includes(c)).map(quoteIdent)],
  };
}

/**
 * Worker-thread side: one batch on this thread's own connection. The shadow write lock is taken first and
 * held over the read of the origin, the transform and the write, so batches from any process apply in
 * order. The consumed changes leave the log afterwards in a short transaction of the database file, and
 * only while the plan's command still holds its lease (or, between commands, while none runs): otherwise
 * they stay for the command that now owns the shadow, and are replayed again (a replay is idempotent).
 */
export function replayBatchSqlite(plan: SqliteReplayPlan, map: RowMapper): Promise<number> {
  return workerConnections.use(connectionKey(plan), async (db) => {
    const site: ReplaySite = { origin: "origin", targetSchema: "main", targetTable: plan.shape.table };
    db.exec("BEGIN");
    let seqs: number[];
    try {
      db.prepare(`DELETE FROM main.${quoteIdent(plan.shape.table)} WHERE 0`).run();
      checkFence(db, plan);
      seqs = await replayChanges(db, plan, site, map);
      db.exec("COMMIT");
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
    if (seqs.length === 0) return 0;
    inDeferredTransaction(db, () => {
      forgetReplayed(db, "origin", plan.shape.table, seqs);
      checkFence(db, plan);
    });
    return seqs.length;
  });
}

/**
 * Replays up to `plan.batch` logged changes into the site's target table inside the caller's transaction;
 * returns the sequence numbers consumed (none: the log is empty). Each changed key is replayed once, from
 * the origin's row now: it goes in with the columns both tables have (defaults fill the others), comes
 * back through `map` and replaces itself; a key whose origin row is gone, or whose transform returns
 * null, is deleted.
 */
export async function replayChanges(db: Connection, plan: SqliteReplayPlan, site: ReplaySite, map: RowMapper): Promise<number[]> {
  const logged = db
    .prepare(`SELECT seq, key FROM ${site.origin}.${CHANGES_TABLE} WHERE tbl = ? AND seq > ? ORDER BY seq LIMIT ?`)
    .all(plan.shape.table, site.afterSeq ?? 0, plan.batch) as { seq: number; key: string }[];
  if (logged.length === 0) return [];
  // The logged keys are SQL literals written by quote() in the capture trigger, so they go into the statements as they are.
  const keys = `${keyTuple(plan.shape).key} IN (VALUES ${[...new Set(logged.map((c) => `(${c.key})`))].join(", ")})`;
  const target = `${site.targetSchema}.${quoteIdent(site.targetTable)}`;
  const remove = () => db.prepare(`DELETE FROM ${target} WHERE ${keys}`).run();
  remove();
  if (plan.keptColumns.length > 0) {
    const kept = plan.keptColumns.join(", ");
    db.prepare(`INSERT INTO ${target} (${kept}) SELECT ${kept} FROM ${site.origin}.${quoteIdent(plan.shape.table)} WHERE ${keys}`).run();
  }
  // A rowid comes back as text, so one beyond 2^53 is written back exactly (SQLite turns integer text into the integer).
  const expressions = keyExpressions(plan.shape).map((k) => (k === "rowid" ? "CAST(rowid AS TEXT)" : k));
  const read = db.prepare(`SELECT ${expressions.join(", ")}, * FROM ${target} WHERE ${keys}`).raw(true);
  const names = read.columns().map((c) => c.name);
  const rows: Row[] = [];
  const rowKeys: unknown[][] = [];
  for (const values of read.all() as unknown[][]) {
    rowKeys.push(values.slice(0, expressions.length));
    const row: Row = {};
    for (let i = expressions.length; i < values.length; i++) row[names[i]!] = values[i];
    rows.push(row);
  }
  const results = await map(rows);
  remove();
  insertRows(db, { ...plan.shape, table: site.targetTable }, rowKeys, results, site.targetSchema);
  return logged.map((c) => c.seq);
}

/**
 * Removes replayed changes from the log of `schema` and counts them: the listed `seqs`, or every change of
 * `table` up to seq `through` (`count` of them), one range delete along the log's (tbl, seq) index.
 */
export function forgetReplayed(db: Connection, schema: string, table: string, seqs: readonly number[] | { through: number; count: number }): void {
  if ("through" in seqs) {
    db.prepare(`DELETE FROM ${schema}.${CHANGES_TABLE} WHERE tbl = ? AND seq <= ?`).run(table, seqs.through);
  } else {
    const remove = db.prepare(`DELETE FROM ${schema}.${CHANGES_TABLE} WHERE seq = ?`);
    for (const seq of seqs) remove.run(seq);
  }
  const count = "through" in seqs ? seqs.count : seqs.length;
  db.prepare(`UPDATE ${schema}.${REPLAYED_TABLE} SET replayed = replayed + ? WHERE tbl = ?`).run(count, table);
}

function checkFence(db: Connection, plan: SqliteReplayPlan): void {
  if (plan.owner !== null) {
    if (!holdsRunLock(db, plan.owner, "origin")) throw new LeaseLostError(plan.owner, `replaying changes of "${plan.shape.table}"`);
    return;
  }
  const row = db.prepare(`SELECT running FROM origin.${COMMAND_TABLE} WHERE id = 1`).get() as { running: number } | undefined;
  if (row?.running === 1) throw new ReplayYielded();
}
