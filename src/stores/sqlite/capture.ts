import type { GuardedTable, TableProtection } from "../../core/state-store.ts";
import type { Connection } from "./connection.ts";
import { keyExpressions } from "./range-plan.ts";
import { dropAllProtection, originHasTable, PROTECT_PREFIX, protectTableNow } from "./protection.ts";
import { quoteIdent, quoteText } from "./sql.ts";
import { readShape } from "./table-shape.ts";

/** Name prefix of the capture triggers in the origin database. */
export const CAPTURE_PREFIX = "_migration_capture_";
/** The change log in the origin database: one row per changed key (its values as SQL literals) of a captured table. */
export const CHANGES_TABLE = "_migration_changes";
/** Changes replayed per table since its capture began. */
export const REPLAYED_TABLE = "_migration_replayed";

/** Creates the change log and the replay counters when missing. */
export function createCapture(db: Connection): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${CHANGES_TABLE} (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS ${CHANGES_TABLE}_tbl ON ${CHANGES_TABLE} (tbl, seq);
    CREATE TABLE IF NOT EXISTS ${REPLAYED_TABLE} (tbl TEXT PRIMARY KEY, replayed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;`);
}

/**
 * Installs (or replaces) AFTER INSERT/UPDATE/DELETE triggers that log each changed key of `table` (rowid,
 * or the primary key of a WITHOUT ROWID table) in the writer's own transaction, and drops a protection
 * left from an earlier run. In the caller's transaction; false when there is no such table.
 */
export function captureTableNow(db: Connection, table: string): boolean {
  if (!originHasTable(db, table)) return false;
  const keys = keyExpressions(readShape(db, "main", table));
  // quote() renders each key value as an SQL literal, exactly (large integers, blobs, text alike); replay matches on it.
  const key = (row: "NEW" | "OLD") => keys.map((k) => `quote(${row}.${k})`).join(" || ', ' || ");
  const log = (row: "NEW" | "OLD", kind: string) => `INSERT INTO ${CHANGES_TABLE} (tbl, key, kind) VALUES (${quoteText(table)}, ${key(row)}, '${kind}');`;
  const bodies = {
    insert: log("NEW", "I"),
    // A changed key leaves its old key to delete and its new key to fill.
    update: `${log("NEW", "U")} INSERT INTO ${CHANGES_TABLE} (tbl, key, kind) SELECT ${quoteText(table)}, ${key("OLD")}, 'U' WHERE ${key("OLD")} IS NOT ${key("NEW")};`,
    delete: log("OLD", "D"),
  };
  for (const [op, body] of Object.entries(bodies)) {
    const name = quoteIdent(`${CAPTURE_PREFIX}${table}_${op}`);
    db.exec(`DROP TRIGGER IF EXISTS main.${name}`);
    db.exec(`CREATE TRIGGER main.${name} AFTER ${op.toUpperCase()} ON ${quoteIdent(table)} BEGIN ${body} END`);
  }
  for (const name of triggersOf(db, table, PROTECT_PREFIX)) db.exec(`DROP TRIGGER main.${quoteIdent(name)}`);
  db.prepare(`INSERT OR IGNORE INTO main.${REPLAYED_TABLE} (tbl) VALUES (?)`).run(table);
  return true;
}

/** Captures or protects a table as the claim decided, in the caller's transaction; nothing when the table does not exist. */
export function guardTableNow(db: Connection, guard: TableProtection): void {
  if (guard.capture) captureTableNow(db, guard.table);
  else protectTableNow(db, guard.table, guard.message);
}

/** Whether `table` has its three capture triggers. */
export function isCaptured(db: Connection, table: string): boolean {
  return triggersOf(db, table, CAPTURE_PREFIX).length === 3;
}

/** Lifts every protection and capture and forgets the change log, in the caller's transaction. */
export function liftAllGuards(db: Connection): void {
  dropAllProtection(db);
  const rows = db.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'trigger' AND substr(name, 1, ?) = ?").all(CAPTURE_PREFIX.length, CAPTURE_PREFIX) as { name: string }[];
  for (const { name } of rows) db.exec(`DROP TRIGGER IF EXISTS main.${quoteIdent(name)}`);
  db.exec(`DELETE FROM main.${CHANGES_TABLE}; DELETE FROM main.${REPLAYED_TABLE};`);
}

function triggersOf(db: Connection, table: string, prefix: string): string[] {
  const rows = db
    .prepare("SELECT name FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND substr(name, 1, ?) = ?")
    .all(table, prefix.length, prefix) as { name: string }[];
  return rows.map((r) => r.name);
}

/** The origin tables with a protection or capture now: protected when a protection trigger is there, with their backlog. */
export function readGuarded(db: Connection): GuardedTable[] {
  const rows = db
    .prepare(
      `SELECT g.tbl AS "table", CASE WHEN max(g.protecting) = 1 THEN 'protected' ELSE 'captured' END AS mode,
              (SELECT count(*) FROM main.${CHANGES_TABLE} ch WHERE ch.tbl = g.tbl) AS backlog,
              coalesce((SELECT r.replayed FROM main.${REPLAYED_TABLE} r WHERE r.tbl = g.tbl), 0) AS replayed
       FROM (SELECT tbl_name AS tbl, substr(name, 1, ?) = ? AS protecting FROM main.sqlite_schema
             WHERE type = 'trigger' AND (substr(name, 1, ?) = ? OR substr(name, 1, ?) = ?)) g
       GROUP BY g.tbl ORDER BY g.tbl`,
    )
    .all(PROTECT_PREFIX.length, PROTECT_PREFIX, PROTECT_PREFIX.length, PROTECT_PREFIX, CAPTURE_PREFIX.length, CAPTURE_PREFIX) as GuardedTable[];
  return rows;
}
