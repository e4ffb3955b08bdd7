import { MigrationState } from "../../core/states.ts";
import type { CommandClaim, MigrationRecord, RunProgress, ThrottleChange } from "../../core/state-store.ts";
import { COMMAND_TABLE, STATE_TABLE, appendOutputRow, holdsRunLock, readCommand, upsertMigrations } from "./bookkeeping.ts";
import { type Connection, inWriteTransaction } from "./connection.ts";
import { guardTableNow, liftAllGuards } from "./capture.ts";

/** Compare-and-set start of a command: only when none runs and the version is the one decided on; protects its tables in the same transaction. */
export function claimCommandRow(db: Connection, claim: CommandClaim, now: number): boolean {
  return inWriteTransaction(db, () => {
    const changed = db
      .prepare(
        `UPDATE ${COMMAND_TABLE} SET command = ?, running = 1, owner = ?, verbose = ?, output = ?, exception = NULL,
           count = ?, migrated = 0, progress_cursor = 0, progress_tables = '[]', rate_base_at = NULL, rate_base_migrated = NULL, started_at = ?, ended_at = NULL, heartbeat_at = ?,
           progress_at = ?, version = version + 1, paused = 0, max_rows_per_second = ?, cancelled_by = NULL, swapping = 0
         WHERE id = 1 AND running = 0 AND version = ?`,
      )
      .run(claim.command, claim.owner, claim.verbose ? 1 : 0, claim.output, claim.count, now, now, now, claim.maxRowsPerSecond ?? 0, claim.version).changes;
    if (changed !== 1) return false;
    upsertMigrations(db, claim.migrations);
    for (const guard of claim.protect) guardTableNow(db, guard);
    return true;
  });
}

/** Upserts records only while `owner` holds the run lock. */
export function setMigrationStatesRows(db: Connection, owner: string, records: MigrationRecord[]): boolean {
  return inWriteTransaction(db, () => {
    if (!holdsRunLock(db, owner)) return false;
    upsertMigrations(db, records);
    return true;
  });
}

/** Appends output of the command `owner` runs; silently ignored when it lost the lock. */
export function appendOutputText(db: Connection, owner: string, text: string): void {
  appendOutputRow(db, owner, text);
}

/** Sets count, migrated (never lowered), the per table progress and the ETA's rate base. */
export function setProgressRow(db: Connection, owner: string, progress: RunProgress): void {
  const { count, migrated, tables, rateBase } = progress;
  db.prepare(
    `UPDATE ${COMMAND_TABLE} SET count = ?, migrated = max(migrated, ?), progress_tables = ?,
       progress_at = CASE WHEN migrated < ? THEN ? ELSE progress_at END, rate_base_at = ?, rate_base_migrated = ?
     WHERE id = 1 AND running = 1 AND owner = ?`,
  ).run(count, migrated, JSON.stringify(tables), migrated, Date.now(), rateBase?.at ?? null, rateBase?.migrated ?? null, owner);
}

/** Ends the command `owner` runs (and bumps the version, so a claim decided before fails). */
export function finishCommandRow(db: Connection, owner: string, exception: string | null, now: number): boolean {
  const sql = `UPDATE ${COMMAND_TABLE} SET running = 0, exception = ?, ended_at = ?, version = version + 1 WHERE id = 1 AND running = 1 AND owner = ?`;
  return db.prepare(sql).run(exception, now, owner).changes === 1;
}

/** Ends the command `owner` runs and upserts its last records in one transaction, lifting the protection with them when asked. */
export function completeCommandRows(
  db: Connection,
  owner: string,
  records: readonly MigrationRecord[],
  exception: string | null,
  liftProtection: boolean,
  now: number,
): boolean {
  return inWriteTransaction(db, () => {
    if (!finishCommandRow(db, owner, exception, now)) return false;
    upsertMigrations(db, records);
    if (liftProtection) liftAllGuards(db);
    return true;
  });
}

/** Refreshes the heartbeat of the command `owner` runs. */
export function heartbeatRow(db: Connection, owner: string, now: number): void {
  db.prepare(`UPDATE ${COMMAND_TABLE} SET heartbeat_at = ? WHERE id = 1 AND running = 1 AND owner = ?`).run(now, owner);
}

/** Writes a throttle change of the command `owner` runs (a resume of a paused one also refreshes `progress_at`); false when it no longer runs it. */
export function setThrottleRow(db: Connection, owner: string, change: ThrottleChange, now: number): boolean {
  const paused = change.paused === undefined ? null : change.paused ? 1 : 0;
  return db
    .prepare(
      `UPDATE ${COMMAND_TABLE} SET paused = coalesce(@paused, paused), max_rows_per_second = coalesce(@limit, max_rows_per_second),
         progress_at = CASE WHEN @paused = 0 AND paused = 1 THEN @now ELSE progress_at END
       WHERE id = 1 AND running = 1 AND owner = @owner`,
    )
    .run({ paused, limit: change.maxRowsPerSecond ?? null, now, owner }).changes === 1;
}

/** Records who cancels the command `owner` runs (the first name stays); false when it no longer runs it or its finalize is swapping. */
export function requestCancelRow(db: Connection, owner: string, by: string): boolean {
  const sql = `UPDATE ${COMMAND_TABLE} SET cancelled_by = coalesce(cancelled_by, ?) WHERE id = 1 AND running = 1 AND owner = ? AND swapping = 0`;
  return db.prepare(sql).run(by, owner).changes === 1;
}

/** Marks the finalize `owner` runs as swapping unless it was cancelled first; false then, or when it no longer runs it. */
export function enterSwapRow(db: Connection, owner: string): boolean {
  const sql = `UPDATE ${COMMAND_TABLE} SET swapping = 1 WHERE id = 1 AND running = 1 AND owner = ? AND cancelled_by IS NULL`;
  return db.prepare(sql).run(owner).changes === 1;
}

/** Marks the command of a dead owner failed, fails its running records and lifts the write protection. */
export function interruptCommandRow(db: Connection, owner: string, exception: string, now: number): boolean {
  return inWriteTransaction(db, () => {
    if (!finishCommandRow(db, owner, exception, now)) return false;
    const fail = db.prepare(`UPDATE ${STATE_TABLE} SET state = ? WHERE state = ?`);
    fail.run(MigrationState.MIGRATION_FAILED, MigrationState.MIGRATION_RUNNING);
    fail.run(MigrationState.FINALIZATION_FAILED, MigrationState.FINALIZATION_RUNNING);
    liftAllGuards(db);
    return true;
  });
}

/** Returns the output not yet returned to a legacy `progress` poll and moves the cursor past it. */
export function takeUnseenOutputRow(db: Connection): string {
  return inWriteTransaction(db, () => {
    const { output, progressCursor } = readCommand(db);
    const cursor = Math.min(progressCursor, output.length);
    db.prepare(`UPDATE ${COMMAND_TABLE} SET progress_cursor = ? WHERE id = 1`).run(output.length);
    return output.slice(cursor);
  });
}
