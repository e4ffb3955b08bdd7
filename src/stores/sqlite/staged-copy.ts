import type { Connection } from "./connection.ts";
import { inWriteTransaction } from "./connection.ts";
import { keyAfter, keyExpressions, keyTuple } from "./range-plan.ts";
import { quoteIdent } from "./sql.ts";
import { readShape } from "./table-shape.ts";
import { schemaHasTable } from "./shadow-file.ts";
import { tableDefinition } from "./table-copy.ts";
import { writeThenPause } from "./writer-pause.ts";

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
 * short write transactions of STAGE_CHUNK_ROWS rows in key order, keeping rowids, each followed by a pause
 * (writeThenPause): the application's writers wait at most about one chunk at a time, and the swap that
 * follows only renames.
 */
export async function stageTable(db: Connection, table: string): Promise<void> {
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
    await writeThenPause(db, () => copy(after));
    if (end === null) return;
    after = end;
  }
}

/**
 * An SQLite error in terms of the application's tables: a staged copy's name (a UNIQUE constraint failing on
 * `_migration_staged_person.email`) reads as the table it replaces (`person.email`). Other errors as they are.
 */
export function inOwnNames(error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.includes(STAGED_PREFIX)) return error;
  return Object.assign(new Error(error.message.replaceAll(STAGED_PREFIX, ""), { cause: error }), { code: (error as { code?: unknown }).code });
}

/** Names of the staged and retired tables in the database file. */
function leftovers(db: Connection): string[] {
  return db
    .prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table' AND (substr(name, 1, ?) = ? OR substr(name, 1, ?) = ?)`)
    .pluck()
    .all(STAGED_PREFIX.length, STAGED_PREFIX, RETIRED_PREFIX.length, RETIRED_PREFIX) as string[];
}

/** Drops the staged and retired tables a crash left behind, one DROP TABLE each, in the caller's transaction if any. */
export function dropLeftovers(db: Connection): void {
  for (const name of leftovers(db)) inWriteTransaction(db, () => db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(name)}`));
}

/**
 * Drops the staged and retired tables (a crash's leftovers, a failed swap's copies) piece by piece: see
 * dropTablesInPieces.
 */
export async function dropLeftoversInPieces(db: Connection): Promise<void> {
  await dropTablesInPieces(db, leftovers(db));
}

/**
 * Drops tables of the database file piece by piece, each piece a write transaction followed by a pause
 * (writeThenPause): each explicit index, then the rows in chunks of STAGE_CHUNK_ROWS in key order, then the
 * empty table. One DROP TABLE of a million-row table with three indexes holds the write lock for 0.15–0.6 s here.
 */
export async function dropTablesInPieces(db: Connection, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    if (!schemaHasTable(db, "main", table)) continue;
    const indexes = db.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").pluck().all(table) as string[];
    for (const index of indexes) await writeThenPause(db, () => db.exec(`DROP INDEX IF EXISTS main.${quoteIdent(index)}`));
    const shape = readShape(db, "main", table);
    const keys = keyExpressions(shape).join(", ");
    const name = `main.${quoteIdent(table)}`;
    const chunk = db.prepare(`DELETE FROM ${name} WHERE ${keyTuple(shape).key} IN (SELECT ${keys} FROM ${name} ORDER BY ${keys} LIMIT ?)`);
    while ((await writeThenPause(db, () => chunk.run(STAGE_CHUNK_ROWS).changes)) > 0);
    await writeThenPause(db, () => db.exec(`DROP TABLE IF EXISTS ${name}`));
  }
}
