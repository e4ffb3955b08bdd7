import { performance } from "node:perf_hooks";
import type { SwapPlan, SwapResult } from "../store.ts";
import { appendOutputRow, COMMAND_TABLE, holdsRunLock, upsertMigrations } from "./bookkeeping.ts";
import { finishCommandRow } from "./state-writes.ts";
import { BUSY_TIMEOUT_MS, type Connection, isBusy, openConnection } from "./connection.ts";
import { RETRY_FINALIZE_HINT, SwapLocksBusyError } from "../swap-locks-busy.ts";
import { CAPTURE_PREFIX, isCaptured, liftAllGuards } from "./capture.ts";
import { isProtected, PROTECT_PREFIX } from "./protection.ts";
import { droppedTables, emptyShadowSchema, schemaHasTable, userTables } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { noShadowCopy, unprotectedOrigin } from "../swap-refusals.ts";
import { dropLeftoversInPieces, dropTablesInPieces, RETIRED_PREFIX, STAGED_PREFIX, stageTable } from "./staged-copy.ts";
import { copySequence } from "./table-copy.ts";
import { renameTables } from "./table-renames.ts";
import { deferredSteps, type TableStep } from "../alter-sql.ts";
import { applyLockedSteps, buildIndexesBeforeSwap } from "./swap-alters.ts";
import { recreateTriggers, type SavedTrigger } from "./swap-checks.ts";
import { swapIndexNames } from "./staged-indexes.ts";
import { withoutAutoCheckpoint } from "./writer-pause.ts";
import { afterRenames, checkForeignKeyRows, type ForeignKeyCheck, foreignKeyWarnings, planForeignKeys } from "./swap-foreign-keys.ts";
import { type CaughtUp, catchUp, type ReplayedKeys, replayRest } from "./swap-replay.ts";

/**
 * Swaps the shadow copies into the origin. First, outside the lock window: each shadow table is staged into
 * the database file with its explicit indexes under staged names (stageTable), in write transactions sized
 * to hold the lock a few ms each (TimedChunks), the foreign keys of and into the swapped tables are checked
 * against the staged rows, and what the application wrote meanwhile is
 * replayed into the staged copies (catchUp); each of these transactions is followed by a pause at least as
 * long as it held the lock (pauseAfter). Then ONE transaction replays the changes of captured tables logged
 * since into their staged copies, renames the originals aside and the staged copies in (one schema
 * edit, renameTables), gives the indexes their names by one schema edit (swapIndexNames), restores triggers, checks the
 * foreign keys of the replayed rows and writes the migration records, the closing output and the end of the
 * command: a crash leaves either all old or all new. Nothing in it grows with the rows of a table. After the
 * commit, the shadow file is emptied, the foreign keys are checked once more (a warning in the output when a
 * row written meanwhile broke one), and the originals are dropped piece by piece.
 */
export async function finalizeSwapOn(db: Connection, shadowPath: string, plan: SwapPlan): Promise<SwapResult> {
  const foreignKeys = db.pragma("foreign_keys", { simple: true }) as number;
  // foreign_keys cannot change inside a transaction; the swap checks the rows itself (swap-foreign-keys.ts).
  db.pragma("foreign_keys = OFF");
  // Renames must leave references by name alone: views, triggers and foreign keys of other tables
  // keep naming the table, and so point at its replacement once it has the name.
  db.pragma("legacy_alter_table = ON");
  db.prepare("ATTACH DATABASE ? AS shadow").run(shadowPath);
  const synchronous = db.pragma("main.synchronous", { simple: true }) as number;
  // What the finalize writes outside the swap's transaction needs no durability of its own (after a crash, the
  // next finalize drops the staged and retired tables): without a sync of the WAL at each commit, a chunk holds
  // the lock about half as long. The swap's transaction runs with the connection's setting, and its sync covers the WAL before it.
  db.pragma("main.synchronous = NORMAL");
  const busyTimeout = db.pragma("busy_timeout", { simple: true }) as number;
  const lockWaitMs = plan.lockWaitMs ?? BUSY_TIMEOUT_MS;
  // Each of the swap's write transactions waits at most this long for an application's write transaction.
  db.pragma(`busy_timeout = ${Math.max(1, Math.round(lockWaitMs))}`);
  try {
    let prepared: Prepared;
    let swap: Swapped;
    try {
      await dropLeftoversInPieces(db);
      if (!holdsRunLock(db, plan.owner)) throw new Error("The finalize lost its run lock; nothing was swapped");
      prepared = await withoutAutoCheckpoint(db, () => prepareSwap(db, plan));
      swap = await withSynchronous(db, synchronous, () => swapUnderLock(db, plan, prepared));
    } catch (error) {
      // The staged copies go; should that fail, the next finalize or reset drops them, and the cause is this error.
      await dropLeftoversInPieces(db).catch(() => {});
      if (isBusy(error)) throw busyLocks(lockWaitMs, error);
      throw error;
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`);
    }
    await plan.committed?.({ ...swap.result, lockWindowMs: swap.lockWindowMs });
    try {
      // The command has ended: the shadow file is emptied at once, before another command can start on it.
      emptyShadowFile(shadowPath);
      const warnings = foreignKeyWarnings(db, afterRenames(prepared.keyChecks));
      if (warnings.length > 0) appendEndedOutput(db, plan.owner, warnings.join(""));
      await withoutAutoCheckpoint(db, () => dropTablesInPieces(db, swap.retired.map((table) => `${RETIRED_PREFIX}${table}`)));
    } catch {
      // Committed already; leftovers are cleared when the next finalize starts or the next migrate runs.
    }
    return { ...swap.result, lockWindowMs: swap.lockWindowMs };
  } finally {
    db.pragma(`main.synchronous = ${synchronous}`);
    db.exec("DETACH DATABASE shadow");
    db.pragma("legacy_alter_table = OFF");
    db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  }
}

/** What the swap's lock window needs from the work before it. */
interface Prepared {
  /** Declared steps of original tables, to apply under the lock. */
  lockedSteps: TableStep[];
  /** Changes already replayed into the staged copies. */
  caughtUp: CaughtUp;
  /** The foreign keys of and into the swapped tables. */
  keyChecks: ForeignKeyCheck[];
}

/**
 * Everything that can run before the lock, the rows in write transactions of a few ms: stage each shadow
 * table with its indexes, build the declared indexes of original tables, check the foreign
 * keys against the staged rows, replay what the application wrote meanwhile and check the keys of those rows.
 */
async function prepareSwap(db: Connection, plan: SwapPlan): Promise<Prepared> {
  const shadowed = userTables(db, "shadow");
  for (const table of shadowed) await stageTable(db, table);
  const steps = deferredSteps(plan.alters, new Set([...shadowed, ...droppedTables(db, "shadow")]));
  buildIndexesBeforeSwap(db, steps.early);
  const keyChecks = planForeignKeys(db, shadowed, droppedTables(db, "shadow").filter((t) => plan.tables.includes(t) && !shadowed.includes(t)));
  checkForeignKeyRows(db, keyChecks);
  // Last, so that the lock replays only what the application writes from here on.
  const caughtUp = await catchUp(db, plan);
  // The caught-up rows are checked here, a read of the staged copies, so that the lock checks only the rows it replays.
  const caughtUpKeys: ReplayedKeys = new Map([...caughtUp].map(([table, { keys }]) => [table, keys]));
  checkForeignKeyRows(db, keyChecks.filter((fk) => shadowed.includes(fk.child)), caughtUpKeys);
  return { lockedSteps: steps.locked, caughtUp, keyChecks };
}

/** What the swap's transaction did. */
interface Swapped {
  /** The summary, but for the lock window. */
  result: Omit<SwapResult, "lockWindowMs">;
  /** From the first lock request to the COMMIT's return. */
  lockWindowMs: number;
  /** The original tables it renamed aside, to drop. */
  retired: string[];
}

/** The one write transaction of the swap; its length is the lock window. */
async function swapUnderLock(db: Connection, plan: SwapPlan, prepared: Prepared): Promise<Swapped> {
  const started = performance.now();
  db.exec("BEGIN IMMEDIATE");
  try {
    const { replayed, keys } = await replayRest(db, plan, prepared.caughtUp);
    const { retired, ...tables } = swapTables(db, plan, prepared.keyChecks, keys);
    const result = { ...tables, replayed };
    applyLockedSteps(db, prepared.lockedSteps);
    const output = plan.closingOutput({ ...result, lockWindowMs: performance.now() - started });
    appendOutputRow(db, plan.owner, output);
    finishCommandRow(db, plan.owner, null, Date.now());
    db.exec("COMMIT");
    return { result, lockWindowMs: performance.now() - started, retired };
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function swapTables(
  db: Connection, plan: SwapPlan, keyChecks: readonly ForeignKeyCheck[], replayed: ReplayedKeys,
): { swapped: string[]; dropped: string[]; retired: string[] } {
  if (!holdsRunLock(db, plan.owner)) throw new Error("The finalize lost its run lock; nothing was swapped");
  const shadowed = userTables(db, "shadow");
  const droppedByMigration = droppedTables(db, "shadow");
  const tables = [...new Set([...shadowed, ...plan.tables])];
  const swapped: string[] = [];
  const dropped: string[] = [];
  const retired: string[] = [];
  const triggers = new Map<string, SavedTrigger[]>();
  for (const table of tables) {
    triggers.set(table, savedTriggers(db, table));
    const existed = schemaHasTable(db, "main", table);
    // Never drop an origin table, nor finalize without a table the migration created, just because its
    // shadow copy is missing (e.g. a deleted shadow file): the migration leaves a copy or a drop mark.
    if (!shadowed.includes(table) && !droppedByMigration.includes(table)) throw new Error(noShadowCopy(table));
    if (existed && !isProtected(db, table) && !isCaptured(db, table)) throw new Error(unprotectedOrigin(table));
    if (existed) retired.push(table);
    if (shadowed.includes(table)) swapped.push(table);
    else if (existed) dropped.push(table);
  }
  // The originals lose their triggers (their names are needed again) and guards, then every original goes
  // aside and every staged copy comes in, in one schema edit; their indexes follow them (swapIndexNames renames them aside too).
  for (const table of retired) for (const trigger of triggers.get(table)!) db.exec(`DROP TRIGGER IF EXISTS main.${quoteIdent(trigger.name)}`);
  liftAllGuards(db);
  renameTables(db, [
    ...retired.map((table) => ({ from: table, to: `${RETIRED_PREFIX}${table}` })),
    ...swapped.map((table) => ({ from: `${STAGED_PREFIX}${table}`, to: table })),
  ]);
  for (const table of swapped) copySequence(db, "shadow", table);
  swapIndexNames(db, retired, swapped);
  // Triggers go back after every table exists again, since a trigger body may name another swapped table.
  for (const table of swapped) recreateTriggers(db, table, triggers.get(table) ?? []);
  // The rows were checked before the lock, those caught up too; only those replayed under it can break a key of their table now.
  checkForeignKeyRows(db, afterRenames(keyChecks).filter((fk) => swapped.includes(fk.child)), replayed);
  upsertMigrations(db, plan.records.map((r) => ({ ...r, finalizedAt: Date.now() })));
  return { swapped, dropped, retired };
}

/** Runs `fn` with `main.synchronous` at `level`, then back at NORMAL. */
async function withSynchronous<T>(db: Connection, level: number, fn: () => Promise<T>): Promise<T> {
  db.pragma(`main.synchronous = ${level}`);
  try {
    return await fn();
  } finally {
    db.pragma("main.synchronous = NORMAL");
  }
}

/** The retryable refusal of a swap that waited `lockWaitMs` for the database's write lock in vain. */
export function busyLocks(lockWaitMs: number, cause: unknown): SwapLocksBusyError {
  return new SwapLocksBusyError(
    `Finalize could not get the write lock of the database within ${Math.round(lockWaitMs)} ms: another connection holds a write transaction open ` +
      `(SQLite does not say which); ${RETRY_FINALIZE_HINT}`,
    { cause },
  );
}

/** Empties the shadow file on a connection of its own, whose write transactions lock that file only, never the database. */
function emptyShadowFile(shadowPath: string): void {
  const shadow = openConnection(shadowPath);
  // With foreign keys on, DROP TABLE deletes every row first to check the keys that name the table.
  shadow.pragma("foreign_keys = OFF");
  try {
    emptyShadowSchema(shadow, "main");
  } finally {
    shadow.close();
  }
}

/** Appends warnings to the output of the command `owner` ended (the swap ended it). */
function appendEndedOutput(db: Connection, owner: string, text: string): void {
  db.prepare(`UPDATE main.${COMMAND_TABLE} SET output = output || ? WHERE id = 1 AND running = 0 AND owner = ?`).run(text, owner);
}
/** The origin's own triggers on `table` (not the write protection or capture), to re-create after the swap. */
function savedTriggers(db: Connection, table: string): SavedTrigger[] {
  const rows = db
    .prepare("SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL")
    .all(table) as SavedTrigger[];
  return rows.filter((t) => !t.name.startsWith(PROTECT_PREFIX) && !t.name.startsWith(CAPTURE_PREFIX));
}
