import type { Connection } from "./connection.ts";
import { editSchema } from "./index-renames.ts";
import { renameCreateIndex } from "./index-sql.ts";
import { quoteIdent } from "./sql.ts";
import { renameCreateTable } from "./staged-copy.ts";
import { schemaHasTable } from "./shadow-file.ts";

/** One table to rename in `main`: its name now and its new name. */
export interface TableRename {
  /** Current name. */
  from: string;
  /** New name. */
  to: string;
}

interface SchemaRow {
  type: string;
  name: string;
  sql: string | null;
}

const AUTOINDEX_PREFIX = "sqlite_autoindex_";

/**
 * Renames tables of `main` in the caller's write transaction, in order, as ALTER TABLE … RENAME does with
 * legacy_alter_table on and foreign keys off (references by name elsewhere stay as they are; the table's
 * indexes and its sqlite_sequence row follow it), but in one edit of sqlite_schema (editSchema): each ALTER
 * TABLE reparses the whole schema, and 100 of them (50 tables swapped) held the lock 0.8–1.6 s here. The tables
 * must have no triggers. When a stored statement does not read as expected, falls back to ALTER TABLE.
 */
export function renameTables(db: Connection, renames: readonly TableRename[]): void {
  const edits = renames.map((rename) => schemaEdits(db, rename));
  if (edits.some((e) => e === null)) {
    for (const { from, to } of renames) db.exec(`ALTER TABLE main.${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`);
    return;
  }
  const sequence = schemaHasTable(db, "main", "sqlite_sequence") ? db.prepare("UPDATE main.sqlite_sequence SET name = ? WHERE name = ?") : null;
  editSchema(db, () => {
    const update = db.prepare("UPDATE main.sqlite_schema SET name = ?, tbl_name = ?, sql = ? WHERE type = ? AND name = ?");
    for (const [i, { from, to }] of renames.entries()) {
      for (const row of edits[i]!) {
        if (update.run(row.to, to, row.sql, row.type, row.name).changes !== 1) throw new Error(`Cannot rename table "${from}": ${row.type} "${row.name}" is not in the schema`);
      }
      sequence?.run(to, from);
    }
  });
  checkRenamed(db, renames);
}

/** The rows of sqlite_schema that name table `from`, with their new name and statement; null when one cannot be rewritten. */
function schemaEdits(db: Connection, { from, to }: TableRename): (SchemaRow & { to: string })[] | null {
  const rows = db.prepare("SELECT type, name, sql FROM main.sqlite_schema WHERE tbl_name = ?").all(from) as SchemaRow[];
  const edits: (SchemaRow & { to: string })[] = [];
  for (const row of rows) {
    if (row.type === "table" && row.sql !== null) {
      try {
        edits.push({ ...row, to, sql: renameCreateTable(row.sql, to) });
      } catch {
        return null;
      }
    } else if (row.type === "index" && row.sql === null && row.name.startsWith(`${AUTOINDEX_PREFIX}${from}_`)) {
      edits.push({ ...row, to: `${AUTOINDEX_PREFIX}${to}${row.name.slice(AUTOINDEX_PREFIX.length + from.length)}` });
    } else if (row.type === "index" && row.sql !== null) {
      const sql = renameCreateIndex(row.sql, row.name, to);
      if (sql === null) return null;
      edits.push({ ...row, to: row.name, sql });
    } else {
      return null;
    }
  }
  return edits;
}

/** Reads the reparsed schema back: every new name is a table with columns, and no name is held twice. */
function checkRenamed(db: Connection, renames: readonly TableRename[]): void {
  const columns = db.prepare("SELECT count(*) FROM pragma_table_info(?, 'main')").pluck();
  for (const { from, to } of renames) {
    if (!schemaHasTable(db, "main", to) || (columns.get(to) as number) === 0) throw new Error(`Renaming table "${from}" to "${to}" did not take`);
  }
  const twice = db.prepare("SELECT name FROM main.sqlite_schema WHERE type IN ('table', 'view', 'index') GROUP BY name COLLATE NOCASE HAVING count(*) > 1").pluck().get();
  if (twice !== undefined) throw new Error(`Renaming tables left two objects named "${String(twice)}"`);
}
