import type { Connection } from "./connection.ts";
import { userTables } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { STAGED_PREFIX } from "./staged-copy.ts";
import { readShape } from "./table-shape.ts";

/** A foreign key of or into a swapped table: the tables by their names after the swap, and where their rows are now. */
export interface ForeignKeyCheck {
  /** The child table after the swap. */
  child: string;
  /** Where the child rows are when checked (its staged copy before the renames). */
  childAt: string;
  /** The parent table, as the key names it. */
  parent: string;
  /** Where the parent rows are when checked; null when there is no such table after the swap. */
  parentAt: string | null;
  /** Child columns, in key order. */
  childColumns: string[];
  /** The parent's key columns they reference, in the same order. */
  parentColumns: string[];
}

interface KeyRow {
  id: number;
  table: string;
  from: string;
  to: string | null;
}

/**
 * Before the renames: every foreign key of a swapped table (read from its staged copy) and every key of
 * another table into a swapped or dropped one, each with the tables its rows will be checked against.
 */
export function planForeignKeys(db: Connection, swapped: readonly string[], dropped: readonly string[]): ForeignKeyCheck[] {
  const lower = (name: string) => name.toLowerCase();
  const swappedNames = new Map(swapped.map((t) => [lower(t), t]));
  const droppedNames = new Set(dropped.map(lower));
  const rowsAt = (table: string): string | null => {
    const swappedAs = swappedNames.get(lower(table));
    if (swappedAs !== undefined) return `${STAGED_PREFIX}${swappedAs}`;
    if (droppedNames.has(lower(table))) return null;
    return db.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE").pluck().get(table) as string | null ?? null;
  };
  const checks: ForeignKeyCheck[] = [];
  const add = (child: string, childAt: string, keep: (parent: string) => boolean) => {
    const rows = db.prepare("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?, 'main') ORDER BY id, seq").all(childAt) as KeyRow[];
    for (const id of new Set(rows.map((r) => r.id))) {
      const key = rows.filter((r) => r.id === id);
      const parent = key[0]!.table;
      if (!keep(parent)) continue;
      const parentAt = rowsAt(parent);
      const check = { child, childAt, parent, parentAt, childColumns: key.map((r) => r.from), parentColumns: key.map((r) => r.to ?? "") };
      checks.push(parentAt === null ? check : { ...check, parentColumns: parentKey(db, check, parentAt) });
    }
  };
  for (const table of swapped) add(table, `${STAGED_PREFIX}${table}`, () => true);
  const others = userTables(db, "main").filter((t) => !swappedNames.has(lower(t)) && !droppedNames.has(lower(t)));
  for (const table of others) add(table, table, (parent) => swappedNames.has(lower(parent)) || droppedNames.has(lower(parent)));
  return checks;
}

/** The parent columns a key references (its primary key when it names none); fails as SQLite does when they are not unique. */
function parentKey(db: Connection, check: ForeignKeyCheck, parentAt: string): string[] {
  const info = db.prepare("SELECT name, pk FROM pragma_table_info(?, 'main') WHERE pk > 0 ORDER BY pk").all(parentAt) as { name: string }[];
  const primary = info.map((c) => c.name);
  const columns = check.parentColumns.every((c) => c === "") ? primary : check.parentColumns;
  const same = (a: readonly string[]) => a.length === columns.length && a.every((c) => columns.some((k) => k.toLowerCase() === c.toLowerCase()));
  const uniques = db.prepare("SELECT name FROM pragma_index_list(?, 'main') WHERE \"unique\" = 1 AND partial = 0").pluck().all(parentAt) as string[];
  const unique = uniques.some((index) => same(db.prepare("SELECT name FROM pragma_index_info(?, 'main')").pluck().all(index) as string[]));
  if (columns.length === 0 || columns.length !== check.childColumns.length || !(unique || same(primary))) {
    throw new Error(`foreign key mismatch - "${check.child}" referencing "${check.parent}"`);
  }
  return columns;
}

/** The same keys after the renames: every table by its own name. */
export function afterRenames(checks: readonly ForeignKeyCheck[]): ForeignKeyCheck[] {
  return checks.map((fk) => ({ ...fk, childAt: fk.child, parentAt: fk.parentAt === null ? null : fk.parent }));
}

/** The rows a check found: the first five, and how many in all. */
interface Violations {
  shown: string[];
  total: number;
}

/**
 * Child rows (with no NULL in their key) without a parent row. `keys` limits the check to some rows of each
 * child table: its key expression and the keys as SQL literals (the rows replayed under the lock).
 */
function findViolations(db: Connection, checks: readonly ForeignKeyCheck[], keys?: ReadonlyMap<string, { key: string; literals: readonly string[] }>): Violations {
  const shown: string[] = [];
  let total = 0;
  for (const fk of checks) {
    const only = keys?.get(fk.child);
    if (keys !== undefined && (only === undefined || only.literals.length === 0)) continue;
    const filter = only === undefined ? "" : ` AND ${only.key} IN (VALUES ${only.literals.map((k) => `(${k})`).join(", ")})`;
    const from = `${violationsQuery(db, fk)}${filter}`;
    const rows = db.prepare(`SELECT rowid FROM (${from}) LIMIT 5`).pluck().all() as (number | null)[];
    if (rows.length === 0) continue;
    shown.push(...rows.map((rowid) => `table "${fk.child}" row ${rowid ?? "?"} references a missing row of "${fk.parent}"`));
    total += rows.length < 5 ? rows.length : (db.prepare(`SELECT count(*) FROM (${from})`).pluck().get() as number);
  }
  return { shown: shown.slice(0, 5), total };
}

function listed({ shown, total }: Violations): string {
  return `${shown.join("; ")}${total > shown.length ? ` (and ${total - shown.length} more)` : ""}`;
}

/** Fails, naming the first rows, when a key of `checks` has a child row without a parent row (see findViolations). */
export function checkForeignKeyRows(db: Connection, checks: readonly ForeignKeyCheck[], keys?: ReadonlyMap<string, { key: string; literals: readonly string[] }>): void {
  const found = findViolations(db, checks, keys);
  if (found.total > 0) throw new Error(`Foreign key check failed after the swap: ${listed(found)}`);
}

/**
 * After the commit, the same check over every row once more: a row the application wrote between the
 * check before the swap and its lock can still break a key. Returns the warning line, if any.
 */
export function foreignKeyWarnings(db: Connection, checks: readonly ForeignKeyCheck[]): string[] {
  try {
    const found = findViolations(db, checks);
    if (found.total === 0) return [];
    return [`finalization: warning: rows written while the swap was prepared break foreign keys: ${listed(found)}; fix them\n`];
  } catch (error) {
    return [`finalization: warning: the foreign keys could not be checked after the swap: ${(error as Error).message}\n`];
  }
}

/**
 * The child rows of one key that no parent row matches. The comparison is SQLite's `=` between the parent
 * column and the child column, which applies the parent's affinity and collation to the child's value as
 * the key does (numeric text that is not canonical, such as '01', is the one case it reads as equal).
 */
function violationsQuery(db: Connection, fk: ForeignKeyCheck): string {
  const rowid = readShape(db, "main", fk.childAt).byRowid ? "c.rowid" : "NULL";
  const present = fk.childColumns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(" AND ");
  const match = fk.parentColumns.map((p, i) => `p.${quoteIdent(p)} = c.${quoteIdent(fk.childColumns[i]!)}`).join(" AND ");
  const missing = fk.parentAt === null ? "" : ` AND NOT EXISTS (SELECT 1 FROM main.${quoteIdent(fk.parentAt)} AS p WHERE ${match})`;
  return `SELECT ${rowid} AS rowid FROM main.${quoteIdent(fk.childAt)} AS c WHERE ${present}${missing}`;
}
