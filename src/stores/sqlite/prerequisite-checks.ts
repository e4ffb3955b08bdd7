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
    return [...viewProblems(conn, shadowed, dropped, changes, created), ...triggerProblems(conn, shadowed, dropped, changes, created)];
  } finally {
    for (const statement of created.reverse()) conn.exec(statement);
  }
}

function viewProblems(conn: Connection, shadowed: readonly string[], dropped: readonly string[], changes: SwapChanges, created: string[]): string[] {
  const views = conn.prepare("SELECT name, tbl_name, sql FROM origin.sqlite_schema WHERE type = 'view' AND sql IS NOT NULL ORDER BY rowid").all() as SchemaObject[];
  const problems: string[] = [];
  for (const view of views) {
    const name = `temp.${quoteIdent(view.name)}`;
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
