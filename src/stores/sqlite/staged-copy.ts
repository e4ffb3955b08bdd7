import type { Connection } from "./connection.ts";
import { inWriteTransaction } from "./connection.ts";
import { keyAfter, keyExpressions, keyTuple } from "./range-plan.ts";
import { quoteIdent } from "./sql.ts";
import { readShape } from "./table-shape.ts";
import { schemaHasTable } from "./shadow-file.ts";
import { tableDefinition } from "./table-copy.ts";
import { writeThenPause } from "./writer-pause.ts";
import { TimedChunks } from "./timed-chunks.ts";
import { createStagedIndexes } from "./staged-indexes.ts";

/** Name prefix of a shadow table's copy in the database file, built before the finalize swap. */
export const STAGED_PREFIX = "_migration_staged_";
/** Name prefix of a replaced table, renamed aside inside the swap and dropped after it. */
export const RETIRED_PREFIX = "_migration_old_";
const NAME = String.raw`(?:"(?:[^"]|"")*"|\[[^\]]*\]|` + "`(?:[^`]|``)*`" + String.raw`|[^\s(."'\[` + "`" + String.raw`]+)`;
const CREATE_TABLE = new RegExp(String.raw`^(\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)(?:${NAME}\s*\.\s*)?${NAME}`, "i");

/** The CREATE TABLE statement `sql` with its table name replaced by `name` (any quoting, schema dropped). */
export function renameCreateTable(sql: string, name: string): string {
  if (!CREATE_TABLE.test(sql)) throw new Error(`Cannot read the table name of: ${sql.slice(0, 80)}`);
  return sql.replace(CREATE_TABLE, (_match, head: string) => `${head}${quoteIdent(name)}`);
}

/**
 * Copies `shadow.<table>` into `main.<STAGED_PREFIX><table>`: first the empty copy with the same definition
 * and the explicit indexes (createStagedIndexes), then the rows in key order, keeping rowids, in write
 * transactions sized to hold the lock a few ms each (TimedChunks), each followed by a pause: the
 * application's writers wait at most about one chunk at a time, and the swap that follows only renames.
 */
export async function stageTable(db: Connection, table: string): Promise<void> {
  const staged = `${STAGED_PREFIX}${table}`;
  inWriteTransaction(db, () => {
    db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(staged)}`);
    db.exec(renameCreateTable(tableDefinition(db, "shadow", table).table, staged));
    createStagedIndexes(db, table);
  });
  const shape = readShape(db, "shadow", table);
  const keepRowid = shape.byRowid && shape.rowidAlias === null;
  const columns = [...(keepRowid ? ["rowid"] : []), ...shape.writableColumns.map(quoteIdent)].join(", ");
  const { key, params } = keyTuple(shape);
  const copy = (where: string) =>
    db.prepare(
      `INSERT INTO main.${quoteIdent(staged)} (${columns}) SELECT ${columns} FROM shadow.${quoteIdent(table)}
       ${where} ORDER BY ${keyExpressions(shape).join(", ")} LIMIT ?`,
    );
  const first = copy("");
  const next = copy(`WHERE ${key} > ${params}`);
  const chunks = new TimedChunks();
  let after: unknown[] | null = null;
  for (;;) {
    const rows = chunks.rows;
    const end = keyAfter(db, "shadow", shape, after, rows);
    const from = after;
    try {
      await chunks.write(db, () => (from === null ? first.run(rows) : next.run(...from, rows)));
    } catch (error) {
      throw inOwnNames(error);
    }
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
 * Drops tables of the database file piece by piece, each piece a write transaction followed by a pause:
 * each explicit index, then the rows in key order in chunks sized to hold the lock a few ms (TimedChunks),
 * then the empty table. One DROP TABLE of a million-row table with three indexes holds the write lock for
 * 0.15–0.6 s here.
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
    const chunks = new TimedChunks();
    while ((await chunks.write(db, () => chunk.run(chunks.rows).changes)) > 0);
    await writeThenPause(db, () => db.exec(`DROP TABLE IF EXISTS ${name}`));
  }
}
