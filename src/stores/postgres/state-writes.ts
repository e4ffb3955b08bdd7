import { MigrationState } from "../../core/states.ts";
import type { CommandClaim, MigrationRecord, RunProgress, ThrottleChange } from "../../core/state-store.ts";
import { type Bookkeeping, finishCommandRow, lockOwnedCommand, upsertMigrations } from "./bookkeeping.ts";
import { type LockPolicy, setLockTimeout } from "./lock-retry.ts";
import { inTransaction, type PoolClient } from "./pg-pool.ts";
import { guardTable } from "./capture.ts";
import { liftAllProtection } from "./protection.ts";
import type { TakeRunLock } from "./run-lock.ts";
import { LOCK_NOT_AVAILABLE, sqlState, toNumber } from "./sql.ts";

/** How long a claim waits for the command row that another claim or a bookkeeping write holds, in ms. */
const CLAIM_ROW_WAIT_MS = 200;

/** The command row was held by another claim longer than a claim waits: this claim lost. */
class ClaimRowBusy extends Error {}

/**
 * Compare-and-set start of a command, in one transaction on `client`: the command row must not run and
 * must still have the version the claimer decided on; then the claim, its records, the protection of its
 * tables and the run lock (`take`), all or nothing. A loser returns false without waiting for the winner
 * beyond CLAIM_ROW_WAIT_MS. Lock waits of the protection and the run lock time out per `policy` (the caller retries).
 */
export async function claimCommandRow(
  client: PoolClient, names: Bookkeeping, claim: CommandClaim, take: TakeRunLock, policy: LockPolicy,
): Promise<boolean> {
  try {
    return await inTransaction(client, async () => {
      await client.query(`SET LOCAL lock_timeout = ${CLAIM_ROW_WAIT_MS}`);
      const { rows } = await client
        .query<{ running: boolean; version: string }>(`SELECT running, version FROM ${names.command} WHERE id = 1 FOR UPDATE`)
        .catch((error: unknown) => {
          throw sqlState(error) === LOCK_NOT_AVAILABLE ? new ClaimRowBusy() : error;
        });
      const row = rows[0];
      if (row === undefined || row.running || toNumber(row.version) !== claim.version) return false;
      await setLockTimeout(client, policy);
      const now = Date.now();
      await client.query(
        `UPDATE ${names.command} SET command = $1, running = true, owner = $2, "verbose" = $3, output = $6, exception = NULL,
           count = $4, migrated = 0, progress_cursor = 0, progress_tables = '[]', rate_base_at = NULL, rate_base_migrated = NULL, started_at = $5, ended_at = NULL, heartbeat_at = $5,
           progress_at = $5, version = version + 1, paused = false, max_rows_per_second = $7, cancelled_by = NULL, swapping = false
         WHERE id = 1`,
        [claim.command, claim.owner, claim.verbose, claim.count, now, claim.output, claim.maxRowsPerSecond ?? 0],
      );
      await upsertMigrations(client, names, claim.migrations);
      for (const guard of claim.protect) await guardTable(client, names.schema, guard);
      await take();
      return true;
    });
  } catch (error) {
    if (error instanceof ClaimRowBusy) return false;
    throw error;
  }
}

/** Upserts records only while `owner` holds the run lock. */
export async function setMigrationStatesRows(client: PoolClient, names: Bookkeeping, owner: string, records: MigrationRecord[]): Promise<boolean> {
  return inTransaction(client, async () => {
    if (!(await lockOwnedCommand(client, names, owner))) return false;
    await upsertMigrations(client, names, records);
    return true;
  });
}

/** Sets count, migrated (never lowered), the per table progress and the ETA's rate base. */
export async function setProgressRow(client: PoolClient, names: Bookkeeping, owner: string, progress: RunProgress): Promise<void> {
  const { count, migrated, tables, rateBase } = progress;
  await client.query(
    `UPDATE ${names.command} SET count = $1, migrated = greatest(migrated, $2), progress_tables = $4::jsonb,
       progress_at = CASE WHEN migrated < $2 THEN $5 ELSE progress_at END, rate_base_at = $6, rate_base_migrated = $7
     WHERE id = 1 AND running AND owner = $3`,
    [count, migrated, owner, JSON.stringify(tables), Date.now(), rateBase?.at ?? null, rateBase?.migrated ?? null],
  );
}

/** Ends the command `owner` runs and upserts its last records, lifting the protection with them when asked (inside the caller's transaction). */
export async function completeCommandRows(
  client: PoolClient,
  names: Bookkeeping,
  owner: string,
  records: readonly MigrationRecord[],
  exception: string | null,
  liftProtection: boolean,
): Promise<boolean> {
  if (!(await finishCommandRow(client, names, owner, exception))) return false;
  await upsertMigrations(client, names, records);
  if (liftProtection) await liftAllProtection(client, names.schema);
  return true;
}

/** Refreshes the heartbeat of the command `owner` runs. */
export async function heartbeatRow(client: PoolClient, names: Bookkeeping, owner: string): Promise<void> {
  await client.query(`UPDATE ${names.command} SET heartbeat_at = $1 WHERE id = 1 AND running AND owner = $2`, [Date.now(), owner]);
}

/** Writes a throttle change of the command `owner` runs (a resume of a paused one also refreshes `progress_at`); false when it no longer runs it. */
export async function setThrottleRow(client: PoolClient, names: Bookkeeping, owner: string, change: ThrottleChange): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE ${names.command} SET paused = coalesce($1, paused), max_rows_per_second = coalesce($2, max_rows_per_second),
       progress_at = CASE WHEN $1 = false AND paused THEN $3 ELSE progress_at END
     WHERE id = 1 AND running AND owner = $4`,
    [change.paused ?? null, change.maxRowsPerSecond ?? null, Date.now(), owner],
  );
  return rowCount === 1;
}

/** Records who cancels the command `owner` runs (the first name stays); false when it no longer runs it or its finalize is swapping. */
export async function requestCancelRow(client: PoolClient, names: Bookkeeping, owner: string, by: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE ${names.command} SET cancelled_by = coalesce(cancelled_by, $1) WHERE id = 1 AND running AND owner = $2 AND NOT swapping`,
    [by, owner],
  );
  return rowCount === 1;
}

/** Marks the finalize `owner` runs as swapping unless it was cancelled first; false then, or when it no longer runs it. */
export async function enterSwapRow(client: PoolClient, names: Bookkeeping, owner: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE ${names.command} SET swapping = true WHERE id = 1 AND running AND owner = $1 AND cancelled_by IS NULL`,
    [owner],
  );
  return rowCount === 1;
}

/** Marks the command of a dead owner failed, fails its running records and lifts the protection (inside the caller's transaction). */
export async function interruptCommandRows(client: PoolClient, names: Bookkeeping, owner: string, exception: string): Promise<boolean> {
  // FOR UPDATE waits for the fenced writes of the run in flight (they hold KEY SHARE); later ones see it gone.
  if (!(await lockOwnedCommand(client, names, owner))) return false;
  await finishCommandRow(client, names, owner, exception);
  const fail = `UPDATE ${names.state} SET state = $1 WHERE state = $2`;
  await client.query(fail, [MigrationState.MIGRATION_FAILED, MigrationState.MIGRATION_RUNNING]);
  await client.query(fail, [MigrationState.FINALIZATION_FAILED, MigrationState.FINALIZATION_RUNNING]);
  await liftAllProtection(client, names.schema);
  return true;
}

/** Returns the output not yet returned to a legacy `progress` poll and moves the cursor past it, in one statement. */
export async function takeUnseenOutputRow(client: PoolClient, names: Bookkeeping): Promise<string> {
  const { rows } = await client.query<{ unseen: string }>(
    `WITH old AS (SELECT output, progress_cursor FROM ${names.command} WHERE id = 1 FOR UPDATE)
     UPDATE ${names.command} c SET progress_cursor = char_length(old.output) FROM old WHERE c.id = 1
     RETURNING substr(old.output, least(old.progress_cursor, char_length(old.output)) + 1) AS unseen`,
  );
  return rows[0]?.unseen ?? "";
}
