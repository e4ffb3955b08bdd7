import type { CreateIndex } from "../../migrations/alter-steps.ts";
import type { TableStep } from "../alter-sql.ts";
import { type Connection, inWriteTransaction } from "./connection.ts";
import { alterTableIn } from "./expression-copy.ts";

/**
 * Builds the declared indexes of original tables before the swap's transaction, each in its own write
 * transaction (SQLite has no concurrent build: the application's writers wait for each one, readers do not).
 * An index of the same name on the same table is kept (a retried finalize).
 */
export function buildIndexesBeforeSwap(db: Connection, steps: readonly TableStep[]): void {
  for (const { table, step } of steps) {
    const { name } = (step as CreateIndex).createIndex;
    const existing = db.prepare("SELECT tbl_name AS tbl FROM main.sqlite_schema WHERE type = 'index' AND name = ?").get(name) as { tbl: string } | undefined;
    if (existing?.tbl === table) continue;
    if (existing !== undefined) throw new Error(`Cannot create index "${name}" on table "${table}": an index of that name exists on table "${existing.tbl}"`);
    inWriteTransaction(db, () => alterTableIn(db, "main", table, [step]));
  }
}

/** Applies the other declared steps of original tables inside the swap's transaction, in order. */
export function applyLockedSteps(db: Connection, steps: readonly TableStep[]): void {
  for (const { table, step } of steps) alterTableIn(db, "main", table, [step]);
}
