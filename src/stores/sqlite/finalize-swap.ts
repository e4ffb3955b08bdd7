import { performance } from "node:perf_hooks";
import type { SwapPlan, SwapResult } from "../store.ts";
import { appendOutputRow, holdsRunLock, upsertMigrations } from "./bookkeeping.ts";
import { finishCommandRow } from "./state-writes.ts";
import type { Connection } from "./connection.ts";
import { dropAllProtection, PROTECT_PREFIX } from "./protection.ts";
import { droppedTables, emptyShadowSchema, schemaHasTable, userTables } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { copyTableIntoMain } from "./table-copy.ts";
import { checkForeignKeys, recreateTriggers, type SavedTrigger } from "./swap-checks.ts";

/**
 * Swaps the shadow copies into the origin in ONE transaction together with the migration records, the
 * closing output and the end of the command, so a crash leaves either all old or all new; then empties
 * the shadow file.
 */
export function finalizeSwapOn(db: Connection, shadowPath: string, plan: SwapPlan): SwapResult {
  const foreignKeys = db.pragma("foreign_keys", { simple: true }) as number;
  // foreign_keys cannot change inside a transaction; rows are checked by foreign_key_check instead.
  db.pragma("foreign_keys = OFF");
  db.prepare("ATTACH DATABASE ? AS shadow").run(shadowPath);
  try {
    const started = performance.now();
    db.exec("BEGIN IMMEDIATE");
    let result: Omit<SwapResult, "lockWindowMs">;
    try {
      result = swapTables(db, plan);
      const output = plan.closingOutput({ ...result, lockWindowMs: performance.now() - started });
      appendOutputRow(db, plan.owner, output);
      finishCommandRow(db, plan.owner, null, Date.now());
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
    const lockWindowMs = performance.now() - started;
    try {
      emptyShadowSchema(db, "shadow");
    } catch {
      // Committed already; leftovers are cleared when the next migrate starts.
    }
    return { ...result, lockWindowMs };
  } finally {
    db.exec("DETACH DATABASE shadow");
    db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  }
}

function swapTables(db: Connection, plan: SwapPlan): Omit<SwapResult, "lockWindowMs"> {
  if (!holdsRunLock(db, plan.owner)) throw new Error("The finalize lost its run lock; nothing was swapped");
  const shadowed = userTables(db, "shadow");
  const droppedByMigration = droppedTables(db, "shadow");
  const tables = [...new Set([...shadowed, ...plan.tables])];
  const swapped: string[] = [];
  const dropped: string[] = [];
  const triggers = new Map<string, SavedTrigger[]>();
  for (const table of tables) {
    triggers.set(table, savedTriggers(db, table));
    const existed = schemaHasTable(db, "main", table);
    if (existed && !shadowed.includes(table) && !droppedByMigration.includes(table)) {
      // Never drop an origin table just because its shadow copy is missing (e.g. a deleted shadow file).
      throw new Error(`Table "${table}" has no shadow copy to swap in; reset and migrate again`);
    }
    db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(table)}`);
    if (shadowed.includes(table)) {
      copyTableIntoMain(db, "shadow", table);
      swapped.push(table);
    } else if (existed) {
      dropped.push(table);
    }
  }
  // Triggers go back after every table exists again, since a trigger body may name another swapped table.
  for (const table of swapped) recreateTriggers(db, table, triggers.get(table) ?? []);
  dropAllProtection(db);
  checkForeignKeys(db, new Set(tables));
  upsertMigrations(db, plan.records);
  return { swapped, dropped };
}

/** The origin's own triggers on `table` (not the write protection), to re-create after the swap. */
function savedTriggers(db: Connection, table: string): SavedTrigger[] {
  const rows = db
    .prepare("SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL")
    .all(table) as SavedTrigger[];
  return rows.filter((t) => !t.name.startsWith(PROTECT_PREFIX));
}
