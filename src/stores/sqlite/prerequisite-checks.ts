import type { Connection } from "./connection.ts";
import { CAPTURE_PREFIX } from "./capture.ts";
import { PROTECT_PREFIX } from "./protection.ts";
import { droppedTables, schemaHasTable, userTables } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { readShape } from "./table-shape.ts";
import { changedByText, type SwapChanges } from "../swap-prerequisites.ts";

/** A view or trigger of the origin, as `sqlite_schema` keeps it. */
interface SchemaObject {
  name: string;
  tbl_name: string;
  sql: string;
}

/**
 * What finalize's swap would trip over, on the shadow session's connection (main: the shadow file, `origin`
 * attached), where a plain name means the shadow copy when there is one. Each view and trigger of the origin is
 * created again as a TEMP object from its own statement and compiled (a view by a SELECT from it, a trigger by
 * the INSERT, UPDATE and DELETE that fire it, none of them run): SQLite resolves names and columns only then,
 * so a view or trigger body that uses a column the migrations dropped fails here instead of after the swap. The
 * temp objects live in this connection's temp database and are dropped again; nothing in the database file or
 * the shadow file is written or write-locked.
 */
export function swapPrerequisiteProblems(conn: Connection, changes: SwapChanges): string[] {
  const shadowed = userTables(conn, "main");
  const dropped = droppedTables(conn, "main").filter((t) => !shadowed.includes(t));
  if (shadowed.length === 0 && dropped.length === 0) return [];
  const created: string[] = [];
  try {
    return [
      ...viewProblems(conn, shadowed, dropped, changes, created),
      ...triggerProblems(conn, shadowed, dropped, changes, created),
      ...foreignKeyProblems(conn, shadowed, dropped, changes),
    ];
  } finally {
    for (const statement of created.reverse()) conn.exec(statement);
  }
}

function viewProblems(conn: Connection, shadowed: readonly string[], dropped: readonly string[], changes: SwapChanges, created: string[]): string[] {
  const views = conn.prepare("SELECT name, tbl_name, sql FROM origin.sqlite_schema WHERE type = 'view' AND sql IS NOT NULL ORDER BY rowid").all() as SchemaObject[];
  const problems: string[] = [];
  for (const view of views) {
    const name = `temp.${quoteIdent(view.name)}`;
    if (!compiles(conn, [`SELECT * FROM origin.${quoteIdent(view.name)}`])) continue;
    try {
      conn.exec(asTemp(view.sql, "VIEW"));
      created.push(`DROP VIEW IF EXISTS ${name}`);
      const gone = tablesRead(conn, `SELECT * FROM ${name}`).filter((t) => dropped.includes(t));
      if (gone.length > 0) problems.push(`view "${view.name}" reads table "${gone[0]}", which ${changedByText(changes, gone[0]!)} drops`);
    } catch (error) {
      problems.push(brokenBy(conn, `view "${view.name}"`, shadowed, error, changes));
    }
  }
  return problems;
}

function triggerProblems(conn: Connection, shadowed: readonly string[], dropped: readonly string[], changes: SwapChanges, created: string[]): string[] {
  const triggers = (conn.prepare("SELECT name, tbl_name, sql FROM origin.sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY rowid").all() as SchemaObject[])
    .filter((t) => !t.name.startsWith(PROTECT_PREFIX) && !t.name.startsWith(CAPTURE_PREFIX) && !dropped.includes(t.tbl_name));
  const problems: string[] = [];
  for (const trigger of triggers) {
    // The temp trigger lands on the table its plain name means here: the shadow copy of a swapped table, else the original.
    const schema = shadowed.includes(trigger.tbl_name) ? "main" : "origin";
    if (!compiles(conn, firingStatements(conn, "origin", trigger.tbl_name))) continue;
    try {
      conn.exec(asTemp(trigger.sql, "TRIGGER"));
      created.push(`DROP TRIGGER IF EXISTS temp.${quoteIdent(trigger.name)}`);
      for (const statement of firingStatements(conn, schema, trigger.tbl_name)) conn.prepare(statement);
    } catch (error) {
      problems.push(brokenBy(conn, `trigger "${trigger.name}" on table "${trigger.tbl_name}"`, shadowed, error, changes));
    }
  }
  return problems;
}

/** One foreign key of an origin table, from `pragma_foreign_key_list` (one row per column). */
interface ForeignKeyColumn {
  id: number;
  table: string;
  from: string;
  to: string | null;
}

/**
 * Foreign keys of tables the migrations leave alone into a swapped or dropped table: after the swap they name
 * the copy, so its referenced columns must be there and be its primary key or unique together (SQLite reports
 * a "foreign key mismatch" on every write otherwise).
 */
function foreignKeyProblems(conn: Connection, shadowed: readonly string[], dropped: readonly string[], changes: SwapChanges): string[] {
  const others = (conn.prepare("SELECT name FROM origin.sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[])
    .filter((t) => !t.startsWith("sqlite_") && !t.startsWith("_migration_") && !shadowed.includes(t) && !dropped.includes(t));
  const problems: string[] = [];
  for (const child of others) {
    const columns = conn.prepare("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?, 'origin') ORDER BY id, seq").all(child) as ForeignKeyColumn[];
    for (const id of new Set(columns.map((c) => c.id))) {
      const key = columns.filter((c) => c.id === id);
      const parent = key[0]!.table;
      const named = `foreign key (${key.map((c) => c.from).join(", ")}) of table "${child}"`;
      if (dropped.includes(parent)) problems.push(`${named} references table "${parent}", which ${changedByText(changes, parent)} drops`);
      if (!shadowed.includes(parent)) continue;
      const by = changedByText(changes, parent);
      const referenced = key.every((c) => c.to !== null) ? key.map((c) => c.to!) : primaryKey(conn, "origin", parent);
      // A key that did not fit the original either (SQLite accepts any declaration) is not the migration's doing.
      if (!referenced.every((c) => hasColumn(conn, "origin", parent, c)) || !uniqueOn(conn, "origin", parent, referenced)) continue;
      const missing = referenced.find((c) => !hasColumn(conn, "main", parent, c));
      if (missing !== undefined) problems.push(`${named} references column ${parent}.${missing}, which ${by} drops or renames`);
      else if (!uniqueOn(conn, "main", parent, referenced)) problems.push(`${named} references ${parent} (${referenced.join(", ")}), which is no longer a primary key or unique after ${by}`);
    }
  }
  return problems;
}

function primaryKey(conn: Connection, schema: string, table: string): string[] {
  return conn.prepare("SELECT name FROM pragma_table_xinfo(?, ?) WHERE pk > 0 ORDER BY pk").pluck().all(table, schema) as string[];
}

/** Whether `schema`'s `table` has a primary key or a full unique index on exactly `columns`. */
function uniqueOn(conn: Connection, schema: string, table: string, columns: readonly string[]): boolean {
  const wanted = [...new Set(columns)].sort().join("\u0000");
  const same = (names: string[]) => [...new Set(names)].sort().join("\u0000") === wanted;
  if (same(primaryKey(conn, schema, table))) return true;
  const indexes = conn.prepare("SELECT name FROM pragma_index_list(?, ?) WHERE \"unique\" = 1 AND partial = 0").pluck().all(table, schema) as string[];
  return indexes.some((index) => same(conn.prepare("SELECT name FROM pragma_index_info(?, ?)").pluck().all(index, schema) as string[]));
}

/** Whether every statement compiles; a view or trigger that does not work on the originals either is not the migration's doing. */
function compiles(conn: Connection, statements: readonly string[]): boolean {
  try {
    for (const statement of statements) conn.prepare(statement);
    return true;
  } catch {
    return false;
  }
}

/** The object's own CREATE statement as a TEMP one (`CREATE VIEW v …` → `CREATE TEMP VIEW v …`). */
function asTemp(sql: string, kind: "VIEW" | "TRIGGER"): string {
  return sql.replace(new RegExp(`^\\s*CREATE\\s+${kind}\\s+`, "i"), `CREATE TEMP ${kind} `);
}

/** Statements that fire every trigger of `table` when compiled (never run). */
function firingStatements(conn: Connection, schema: string, name: string): string[] {
  const table = `${schema}.${quoteIdent(name)}`;
  const columns = readShape(conn, schema, name).writableColumns.map(quoteIdent);
  return [
    `INSERT INTO ${table} DEFAULT VALUES`,
    ...(columns.length > 0 ? [`UPDATE ${table} SET ${columns.map((c) => `${c} = ${c}`).join(", ")} WHERE 0`] : []),
    `DELETE FROM ${table} WHERE 0`,
  ];
}

/** The origin tables a statement opens, by the root pages of its compiled program. */
function tablesRead(conn: Connection, statement: string): string[] {
  const databases = conn.pragma("database_list") as { seq: number; name: string }[];
  const origin = databases.find((d) => d.name === "origin")?.seq;
  const program = conn.prepare(`EXPLAIN ${statement}`).all() as { opcode: string; p2: number; p3: number }[];
  const pages = program.filter((op) => op.opcode === "OpenRead" && op.p3 === origin).map((op) => op.p2);
  if (pages.length === 0) return [];
  const byPage = conn.prepare("SELECT tbl_name FROM origin.sqlite_schema WHERE rootpage = ?").pluck();
  return [...new Set(pages.map((page) => byPage.get(page) as string | undefined).filter((t) => t !== undefined))];
}

/** `view "v" uses column t.c, which migration M drops or renames` when a column the copies lost is the cause; else SQLite's message. */
function brokenBy(conn: Connection, what: string, shadowed: readonly string[], error: unknown, changes: SwapChanges): string {
  const message = (error as Error).message;
  const column = /no such column: (?:[^.\s]+\.)?(\S+)/.exec(message)?.[1];
  if (column !== undefined) {
    const table = shadowed.find((t) => hasColumn(conn, "origin", t, column) && !hasColumn(conn, "main", t, column));
    if (table !== undefined) return `${what} uses column ${table}.${column}, which ${changedByText(changes, table)} drops or renames`;
  }
  return `${what} does not work with the migrated tables: ${message}`;
}

function hasColumn(conn: Connection, schema: string, table: string, column: string): boolean {
  if (!schemaHasTable(conn, schema, table)) return false;
  return (conn.prepare("SELECT name FROM pragma_table_xinfo(?, ?)").pluck().all(table, schema) as string[]).includes(column);
}
