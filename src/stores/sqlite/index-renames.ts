import type { Connection } from "./connection.ts";

/** One index to rename: its name now, its new name, and its CREATE INDEX statement under the new name. */
export interface IndexRename {
  /** Current name. */
  from: string;
  /** New name. */
  to: string;
  /** The stored statement under the new name (same index, same table). */
  sql: string;
}

/**
 * Renames indexes of `main` in the caller's write transaction by editing their rows of sqlite_schema, which
 * SQLite has no statement for (ALTER INDEX … RENAME does not exist). Only the name and the statement's text
 * change: the b-tree, its root page and its table stay, so this is exact as long as each new statement
 * describes the same index, which the callers guarantee: their statements differ from the stored ones in
 * the index's and the table's name tokens only (renameCreateIndex).
 *
 * The edit follows SQLite's documented procedure for sqlite_schema changes (editSchema). A rollback undoes it.
 */
export function renameIndexes(db: Connection, renames: readonly IndexRename[]): void {
  if (renames.length === 0) return;
  checkNamesFree(db, renames);
  editSchema(db, () => {
    const update = db.prepare("UPDATE main.sqlite_schema SET name = ?, sql = ? WHERE type = 'index' AND name = ?");
    for (const { from, to, sql } of renames) {
      if (update.run(to, sql, from).changes !== 1) throw new Error(`Cannot rename index "${from}": it is not in the schema`);
    }
  });
  checkRenamed(db, renames);
}

/**
 * Runs `edit`, which updates rows of main.sqlite_schema, in the caller's write transaction as SQLite documents
 * it (lang_altertable.html §7): writable_schema for the edit, then schema_version + 1, which makes this
 * connection and every other one reparse the schema before their next statement. better-sqlite3 opens
 * connections in SQLITE_DBCONFIG_DEFENSIVE mode, which forbids both; it is lifted for the edit only.
 */
export function editSchema(db: Connection, edit: () => void): void {
  const version = db.pragma("main.schema_version", { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma("writable_schema = ON");
    edit();
    db.pragma(`main.schema_version = ${version + 1}`);
  } finally {
    db.pragma("writable_schema = OFF");
    db.unsafeMode(false);
  }
}

/**
 * Fails, with SQLite's own words for CREATE INDEX, when a new name is taken (names are case-insensitive, and
 * tables, views and indexes share them) by an object that is not renamed away in the same edit.
 */
function checkNamesFree(db: Connection, renames: readonly IndexRename[]): void {
  const leaving = new Set(renames.map((r) => r.from.toLowerCase()));
  const arriving = new Set<string>();
  const holders = db.prepare("SELECT type, name FROM main.sqlite_schema WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view', 'index')");
  for (const { to } of renames) {
    const taken = (holders.all(to) as { type: string; name: string }[]).find((h) => !leaving.has(h.name.toLowerCase()));
    if (arriving.has(to.toLowerCase()) || taken?.type === "index") throw new Error(`index ${to} already exists`);
    if (taken !== undefined) throw new Error(`there is already a ${taken.type} named ${to}`);
    arriving.add(to.toLowerCase());
  }
}

/** Reads the reparsed schema back: every new name is an index of its table, and no name is held twice. */
function checkRenamed(db: Connection, renames: readonly IndexRename[]): void {
  const tableOf = db.prepare("SELECT tbl_name FROM main.sqlite_schema WHERE type = 'index' AND name = ?").pluck();
  const listed = db.prepare("SELECT name FROM pragma_index_list(?, 'main')").pluck();
  for (const { from, to } of renames) {
    const table = tableOf.get(to) as string | undefined;
    if (table === undefined || !(listed.all(table) as string[]).includes(to)) throw new Error(`Renaming index "${from}" to "${to}" did not take`);
  }
  const twice = db.prepare("SELECT name FROM main.sqlite_schema WHERE type IN ('table', 'view', 'index') GROUP BY name COLLATE NOCASE HAVING count(*) > 1").pluck().get();
  if (twice !== undefined) throw new Error(`Renaming indexes left two objects named "${String(twice)}"`);
}
