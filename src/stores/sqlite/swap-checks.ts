import type { Connection } from "./connection.ts";
import { quoteIdent } from "./sql.ts";
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
