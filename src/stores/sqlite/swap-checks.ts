import type { Connection } from "./connection.ts";
import { quoteIdent } from "./sql.ts";
import { RETIRED_PREFIX } from "./staged-copy.ts";
import { readShape } from "./table-shape.ts";

/** A trigger of the origin remembered across the swap. */
export interface SavedTrigger {
  /** Trigger name. */
  name: string;
  /** Its CREATE TRIGGER statement. */
  sql: string;
}

/**
 * Re-creates the triggers of a swapped table and compiles every statement that fires them: SQLite
 * resolves trigger bodies only when a statement is prepared, so a body naming a dropped column fails here.
 */
export function recreateTriggers(db: Connection, table: string, triggers: readonly SavedTrigger[]): void {
  if (triggers.length === 0) return;
  const name = `main.${quoteIdent(table)}`;
  const columns = readShape(db, "main", table).writableColumns.map(quoteIdent);
  for (const trigger of triggers) {
    try {
      db.exec(trigger.sql);
      db.prepare(`INSERT INTO ${name} DEFAULT VALUES`);
      if (columns.length > 0) db.prepare(`UPDATE ${name} SET ${columns.map((c) => `${c} = ${c}`).join(", ")} WHERE 0`);
      db.prepare(`DELETE FROM ${name} WHERE 0`);
    } catch (error) {
      throw new Error(
        `Cannot re-create trigger "${trigger.name}" on table "${table}" after the swap: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

interface Violation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

/** Fails with the first violations when a foreign key of or into the swapped tables is broken. */
export function checkForeignKeys(db: Connection, swapped: ReadonlySet<string>): void {
  const violations = (db.prepare("PRAGMA main.foreign_key_check").all() as Violation[]).filter(
    // Replaced tables wait, renamed aside, to be dropped after the swap; their rows no longer count.
    (v) => !v.table.startsWith(RETIRED_PREFIX) && (swapped.has(v.table) || swapped.has(v.parent)),
  );
  if (violations.length === 0) return;
  const shown = violations
    .slice(0, 5)
    .map((v) => `table "${v.table}" row ${v.rowid ?? "?"} references a missing row of "${v.parent}"`);
  const more = violations.length > 5 ? ` (and ${violations.length - 5} more)` : "";
  throw new Error(`Foreign key check failed after the swap: ${shown.join("; ")}${more}`);
}
