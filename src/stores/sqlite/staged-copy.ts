import type { Connection } from "./connection.ts";
import { inWriteTransaction } from "./connection.ts";
import { keyAfter, keyExpressions, keyTuple } from "./range-plan.ts";
import { quoteIdent } from "./sql.ts";
import { readShape } from "./table-shape.ts";
import { tableDefinition } from "./table-copy.ts";

/** Name prefix of a shadow table's copy in the database file, built before the finalize swap. */
export const STAGED_PREFIX = "_migration_staged_";
/** Name prefix of a replaced table, renamed aside inside the swap and dropped after it. */
export const RETIRED_PREFIX = "_migration_old_";
/** Rows per staging transaction: each holds the database's write lock for a few milliseconds only. */
export const STAGE_CHUNK_ROWS = 20_000;

const NAME = String.raw`(?:"(?:[^"]|"")*"|\[[^\]]*\]|` + "`(?:[^`]|``)*`" + String.raw`|[^\s(."'\[` + "`" + String.raw`]+)`;
const CREATE_TABLE = new RegExp(String.raw`^(\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)(?:${NAME}\s*\.\s*)?${NAME}`, "i");

/** The CREATE TABLE statement `sql` with its table name replaced by `name` (any quoting, schema dropped). */
export function renameCreateTable(sql: string, name: string): string {
  if (!CREATE_TABLE.test(sql)) throw new Error(`Cannot read the table name of: ${sql.slice(0, 80)}`);
  return sql.replace(CREATE_TABLE, (_match, head: string) => `${head}${quoteIdent(name)}`);
}

/**
 * Copies `shadow.<table>` into `main.<STAGED_PREFIX><table>` (same definition, no explicit indexes) in
 * short write transactions of STAGE_CHUNK_ROWS rows in key order, keeping rowids: the application's
 * writers wait at most one chunk at a time, and the swap that follows only renames.
 */
export function stageTable(db: Connection, table: string): void {
  const staged = `${STAGED_PREFIX}${table}`;
  inWriteTransaction(db, () => {
    db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(staged)}`);
    db.exec(renameCreateTable(tableDefinition(db, "shadow", table).table, staged));
  });
  const shape = readShape(db, "shadow", table);
  const keepRowid = shape.byRowid && shape.rowidAlias === null;
  const columns = [...(keepRowid ? ["rowid"] : []), ...shape.writableColumns.map(quoteIdent)].join(", ");
  const { key, params } = keyTuple(shape);
  const copy = (after: unknown[] | null) =>
    db
      .prepare(
        `INSERT INTO main.${quoteIdent(staged)} (${columns}) SELECT ${columns} FROM shadow.${quoteIdent(table)}
         ${after ? `WHERE ${key} > ${params}` : ""} ORDER BY ${keyExpressions(shape).join(", ")} LIMIT ?`,
      )
      .run(...(after ?? []), STAGE_CHUNK_ROWS);
  let after: unknown[] | null = null;
  for (;;) {
    const end = keyAfter(db, "shadow", shape, after, STAGE_CHUNK_ROWS);
    inWriteTransaction(db, () => copy(after));
    if (end === null) return;
    after = end;
  }
}

/** Drops staged and retired tables a crash left behind. */
export function dropLeftovers(db: Connection): void {
  const rows = db
    .prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table' AND (substr(name, 1, ?) = ? OR substr(name, 1, ?) = ?)`)
    .all(STAGED_PREFIX.length, STAGED_PREFIX, RETIRED_PREFIX.length, RETIRED_PREFIX) as { name: string }[];
  for (const { name } of rows) inWriteTransaction(db, () => db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(name)}`));
}
