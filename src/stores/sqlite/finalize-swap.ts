import { performance } from "node:perf_hooks";
import type { SwapPlan, SwapResult } from "../store.ts";
import { appendOutputRow, holdsRunLock, upsertMigrations } from "./bookkeeping.ts";
import { finishCommandRow } from "./state-writes.ts";
import type { Connection } from "./connection.ts";
import { CAPTURE_PREFIX, CHANGES_TABLE, isCaptured, liftAllGuards } from "./capture.ts";
import { buildReplayPlan, forgetReplayed, replayChanges } from "./replay.ts";
import { isProtected, PROTECT_PREFIX } from "./protection.ts";
import { droppedTables, emptyShadowSchema, schemaHasTable, userTables } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { noShadowCopy, unprotectedOrigin } from "../swap-refusals.ts";
import { dropLeftovers, RETIRED_PREFIX, STAGED_PREFIX, stageTable } from "./staged-copy.ts";
import { completeTableInMain } from "./table-copy.ts";
import { deferredSteps } from "../alter-sql.ts";
import { applyLockedSteps, buildIndexesBeforeSwap } from "./swap-alters.ts";
import { checkForeignKeys, recreateTriggers, type SavedTrigger } from "./swap-checks.ts";

/**
 * Swaps the shadow copies into the origin. First, outside the lock window, each shadow table is staged
 * into the database file in short transactions (stageTable). Then ONE transaction replays the changes of
 * captured tables still logged into their staged copies, renames each
 * original aside, renames its staged copy in, builds the explicit indexes, restores triggers, checks
 * foreign keys and writes the migration records, the closing output and the end of the command: a
 * crash leaves either all old or all new. The originals are dropped after the commit, and the shadow
 * file is emptied.
 */
export async function finalizeSwapOn(db: Connection, shadowPath: string, plan: SwapPlan): Promise<SwapResult> {
  const foreignKeys = db.pragma("foreign_keys", { simple: true }) as number;
  // foreign_keys cannot change inside a transaction; rows are checked by foreign_key_check instead.
  db.pragma("foreign_keys = OFF");
  // Renames must leave references by name alone: views, triggers and foreign keys of other tables
  // keep naming the table, and so point at its replacement once it has the name.
  db.pragma("legacy_alter_table = ON");
  db.prepare("ATTACH DATABASE ? AS shadow").run(shadowPath);
  try {
    dropLeftovers(db);
    if (!holdsRunLock(db, plan.owner)) throw new Error("The finalize lost its run lock; nothing was swapped");
    for (const table of userTables(db, "shadow")) stageTable(db, table);
    const steps = deferredSteps(plan.alters, new Set([...userTables(db, "shadow"), ...droppedTables(db, "shadow")]));
    buildIndexesBeforeSwap(db, steps.early);
    const started = performance.now();
    db.exec("BEGIN IMMEDIATE");
    let result: Omit<SwapResult, "lockWindowMs">;
    try {
      const replayed = await replayRest(db, plan);
      result = { ...swapTables(db, plan), replayed };
      applyLockedSteps(db, steps.locked);
      const output = plan.closingOutput({ ...result, lockWindowMs: performance.now() - started });
      appendOutputRow(db, plan.owner, output);
      finishCommandRow(db, plan.owner, null, Date.now());
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      dropLeftovers(db);
      throw error;
    }
    const lockWindowMs = performance.now() - started;
    try {
      dropLeftovers(db);
      emptyShadowSchema(db, "shadow");
    } catch {
      // Committed already; leftovers are cleared when the next finalize starts or the next migrate runs.
    }
    return { ...result, lockWindowMs };
  } finally {
    db.exec("DETACH DATABASE shadow");
    db.pragma("legacy_alter_table = OFF");
    db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  }
}

/**
 * Under the swap's write lock: replays every change still logged for a shadowed table into its staged
 * copy (the staging ran while the application wrote on); returns how many.
 */
async function replayRest(db: Connection, plan: SwapPlan): Promise<number> {
  const shadowed = userTables(db, "shadow");
  const tables = (db.prepare(`SELECT DISTINCT tbl FROM main.${CHANGES_TABLE}`).all() as { tbl: string }[]).map((r) => r.tbl);
  let replayed = 0;
  for (const table of tables.filter((t) => shadowed.includes(t))) {
    const replay = buildReplayPlan(db, { shadow: "shadow", origin: "main" }, { shadowPath: "", originPath: "" }, table, plan.owner);
    const site = { origin: "main", targetSchema: "main", targetTable: `${STAGED_PREFIX}${table}` };
    const map = plan.replayMapper(replay.shape);
    for (let seqs; (seqs = await replayChanges(db, replay, site, map)).length > 0; ) {
      forgetReplayed(db, "main", table, seqs);
      replayed += seqs.length;
    }
  }
  return replayed;
}

function swapTables(db: Connection, plan: SwapPlan): Omit<SwapResult, "lockWindowMs" | "replayed"> {
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
    // Never drop an origin table, nor finalize without a table the migration created, just because its
    // shadow copy is missing (e.g. a deleted shadow file): the migration leaves a copy or a drop mark.
    if (!shadowed.includes(table) && !droppedByMigration.includes(table)) throw new Error(noShadowCopy(table));
    if (existed && !isProtected(db, table) && !isCaptured(db, table)) throw new Error(unprotectedOrigin(table));
    if (existed) retire(db, table, triggers.get(table)!);
    if (shadowed.includes(table)) {
      db.exec(`ALTER TABLE main.${quoteIdent(`${STAGED_PREFIX}${table}`)} RENAME TO ${quoteIdent(table)}`);
      completeTableInMain(db, "shadow", table);
      swapped.push(table);
    } else if (existed) {
      dropped.push(table);
    }
  }
  // Triggers go back after every table exists again, since a trigger body may name another swapped table.
  for (const table of swapped) recreateTriggers(db, table, triggers.get(table) ?? []);
  liftAllGuards(db);
  checkForeignKeys(db, new Set(tables));
  upsertMigrations(db, plan.records);
  return { swapped, dropped };
}

/**
 * Moves an original table out of the way without touching its rows: its own triggers and explicit
 * indexes are dropped (their names are needed again), then it is renamed aside, to be dropped after the commit.
 */
function retire(db: Connection, table: string, ownTriggers: readonly SavedTrigger[]): void {
  for (const trigger of ownTriggers) db.exec(`DROP TRIGGER IF EXISTS main.${quoteIdent(trigger.name)}`);
  const indexes = db.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(table) as { name: string }[];
  for (const { name } of indexes) db.exec(`DROP INDEX main.${quoteIdent(name)}`);
  db.exec(`ALTER TABLE main.${quoteIdent(table)} RENAME TO ${quoteIdent(`${RETIRED_PREFIX}${table}`)}`);
}
/** The origin's own triggers on `table` (not the write protection or capture), to re-create after the swap. */
function savedTriggers(db: Connection, table: string): SavedTrigger[] {
  const rows = db
    .prepare("SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL")
    .all(table) as SavedTrigger[];
  return rows.filter((t) => !t.name.startsWith(PROTECT_PREFIX) && !t.name.startsWith(CAPTURE_PREFIX));
}
