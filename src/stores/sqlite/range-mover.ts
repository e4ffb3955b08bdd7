import { type FileHandle, open } from "node:fs/promises";
import { LeaseLostError } from "../lease-lost.ts";
import { holdsRunLock } from "./bookkeeping.ts";
import type { KeyRange, RowMapper } from "../store.ts";
import { type Connection, inDeferredTransaction } from "./connection.ts";
import { connectionKey, workerConnections } from "./worker-connections.ts";
import { keyExpressions, keyTuple, type SqliteRangePlan } from "./range-plan.ts";
import { PendingInserts } from "./row-writes.ts";
import { inTurn } from "../write-turns.ts";
import { rowBuilder } from "../row-builder.ts";
import { quoteIdent } from "./sql.ts";

/** Rows turned into objects, transformed and into insert values at a time: their objects die young. */
const CHUNK_ROWS = 500;

/**
 * Rows one write transaction takes at most, and the bytes of row values it holds about: a range is written
 * in parts, so a thread holds one part in memory and the file's write lock for one part at a time, however
 * long the range and however wide its rows. A part's rows live across the transform's await, long enough
 * for V8 to move them out of the young generation; 2 MB parts keep that garbage small (8 MB parts of 2 kB
 * rows took a service 20–30 MB more at its peak, measured with a scratch script).
 */
const WRITE_ROWS = 5_000;
const WRITE_BYTES = 2 * 1024 * 1024;

/** Rows of a part for rows of `rowBytes` bytes (at least 10). */
function partRows(rowBytes: number): number {
  return rowBytes <= 0 ? WRITE_ROWS : Math.max(10, Math.min(WRITE_ROWS, Math.floor(WRITE_BYTES / rowBytes)));
}

/**
 * Moves one key range on this thread's own connection, in parts of up to WRITE_ROWS rows: reads a part's
 * source rows, maps them a chunk at a time into the values of their inserts (other threads write
 * meanwhile), then, in its turn among the threads (write-turns.ts), inserts them in one write transaction
 * fenced by the lease (`in-place` deletes the part's old rows first). The first part is sized from the
 * plan's sampled row size, each next one from the bytes the part before actually read, so a stretch of
 * wider rows than the sample saw gets shorter parts. The commits neither wait for the disk nor
 * checkpoint, which would hold up the other threads' turns: the WAL is checkpointed after a turn every
 * few MB written, and synced before the range counts as moved. Returns the rows read.
 */
export async function moveRangeSqlite(plan: SqliteRangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  let limit = partRows(plan.rowBytes);
  let moved = 0;
  for (let after = range.after; ; ) {
    const part = await movePart(plan, { after, upTo: range.upTo }, map, limit);
    moved += part.rows;
    if (part.last === null) break;
    after = part.last;
    limit = partRows(part.bytes / part.rows);
  }
  await syncWal(plan.shadowPath);
  return moved;
}

/**
 * Moves the first `limit` rows of `range` (all of them when fewer); `last` is the key the next part
 * follows, null when this part reached the end of the range; `bytes` what its rows' values took.
 */
function movePart(
  plan: SqliteRangePlan, range: KeyRange, map: RowMapper, limit: number,
): Promise<{ rows: number; bytes: number; last: unknown[] | null }> {
  return workerConnections.use(connectionKey(plan), async (db) => {
    const { names, values, keyCount } = readRange(db, plan, range, limit);
    const bytes = bytesOf(values);
    const build = rowBuilder(names, keyCount);
    const last = values.length === limit ? values[limit - 1]!.slice(0, keyCount) : null;
    const part = { after: range.after, upTo: last ?? range.upTo };
    const pending = new PendingInserts(plan.shape);
    for (let at = 0; at < values.length; at += CHUNK_ROWS) {
      const chunk = values.slice(at, at + CHUNK_ROWS);
      const rows = chunk.map(build);
      // The keys lead each row's values (keyCount of them); only a rowid is ever written back.
      pending.add(chunk, await map(rows));
    }
    await inTurn(() =>
      quickCommit(db, () =>
        inDeferredTransaction(db, () => {
          if (plan.route === "in-place") deleteRange(db, plan, part);
          pending.write(db);
          // Read after the first write: the shadow is write-locked now, so a reset that takes the command over waits for this commit and then deletes it.
          if (!holdsRunLock(db, plan.owner, "origin")) throw new LeaseLostError(plan.owner, `writing a range of "${plan.shape.table}"`);
        }),
      ),
    );
    checkpointNow(db, bytes);
    return { rows: values.length, bytes, last };
  });
}

/** Bytes of rows as SQLite returned them: a string's length (UTF-8 bytes for ASCII), a blob's size, 8 for a number or NULL. */
function bytesOf(rows: readonly (readonly unknown[])[]): number {
  let bytes = 0;
  for (const row of rows) {
    for (let c = 0; c < row.length; c++) {
      const value = row[c];
      bytes += typeof value === "string" ? value.length : value instanceof Uint8Array ? value.byteLength : 8;
    }
  }
  return bytes;
}

/**
 * Runs `write` with the shadow's commit not waiting for the disk (synchronous = NORMAL, which in WAL mode
 * still never corrupts the file) and not checkpointing (wal_autocheckpoint = 0): both would run in the
 * thread's write turn and hold up the others. Then back to the connection's settings for its other work:
 * a replay batch must be on disk before it removes its changes from the log.
 */
function quickCommit<T>(db: Connection, write: () => T): T {
  if (db.pragma("main.journal_mode", { simple: true }) !== "wal") return write();
  const synchronous = db.pragma("main.synchronous", { simple: true }) as number;
  const autocheckpoint = db.pragma("wal_autocheckpoint", { simple: true }) as number;
  db.pragma("main.synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 0");
  try {
    return write();
  } finally {
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    db.pragma(`main.synchronous = ${synchronous}`);
  }
}

/** Bytes of rows a connection writes between its checkpoints (about SQLite's own default of 1000 pages). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;

/** Bytes of rows each connection wrote since its last checkpoint (estimated from the plan's row size). */
const uncheckpointed = new WeakMap<Connection, number>();

/**
 * Checkpoints the shadow's WAL into its file once the connection has written about CHECKPOINT_BYTES since
 * its last checkpoint, after its turn and without blocking other writers (PASSIVE).
 */
function checkpointNow(db: Connection, bytes: number): void {
  const written = (uncheckpointed.get(db) ?? 0) + bytes;
  if (written < CHECKPOINT_BYTES) {
    uncheckpointed.set(db, written);
    return;
  }
  db.pragma("main.wal_checkpoint(PASSIVE)");
  uncheckpointed.set(db, 0);
}

/**
 * Syncs the shadow's WAL to disk: a commit made without waiting is durable after this, as with FULL. No
 * WAL file means the last connection checkpointed it into the database file, which it synced.
 */
async function syncWal(shadowPath: string): Promise<void> {
  let wal: FileHandle;
  try {
    wal = await open(`${shadowPath}-wal`, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    await wal.datasync();
  } finally {
    await wal.close();
  }
}

function rangeFilter(plan: SqliteRangePlan, range: KeyRange): { where: string; values: unknown[] } {
  const { key, params } = keyTuple(plan.shape);
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (range.after !== null) {
    conditions.push(`${key} > ${params}`);
    values.push(...range.after);
  }
  if (range.upTo !== null) {
    conditions.push(`${key} <= ${params}`);
    values.push(...range.upTo);
  }
  return { where: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, values };
}

/** The first `limit` rows of a range as arrays of values: their keys (rowid on a rowid table) first, then the columns named by `names`. */
function readRange(db: Connection, plan: SqliteRangePlan, range: KeyRange, limit: number): { names: string[]; values: unknown[][]; keyCount: number } {
  const keys = keyExpressions(plan.shape);
  const { where, values } = rangeFilter(plan, range);
  const sql = `SELECT ${keys.join(", ")}, * FROM ${plan.sourceSchema}.${quoteIdent(plan.shape.table)} ${where} ORDER BY ${keys.join(", ")} LIMIT ${limit}`;
  const stmt = db.prepare(sql).raw(true);
  return { names: stmt.columns().map((c) => c.name), values: stmt.all(...values) as unknown[][], keyCount: keys.length };
}

function deleteRange(db: Connection, plan: SqliteRangePlan, range: KeyRange): void {
  const { where, values } = rangeFilter(plan, range);
  db.prepare(`DELETE FROM main.${quoteIdent(plan.shape.table)} ${where}`).run(...values);
}
