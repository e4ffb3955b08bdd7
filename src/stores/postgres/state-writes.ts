import type { TableProgress } from "../../core/results.ts";
import { MigrationState } from "../../core/states.ts";
import type { CommandClaim, MigrationRecord } from "../store.ts";
import { type Bookkeeping, finishCommandRow, lockOwnedCommand, upsertMigrations } from "./bookkeeping.ts";
import { inTransaction, type PoolClient } from "./pg-pool.ts";
import { liftAllProtection } from "./protection.ts";

/** Compare-and-set start of a command (only when none runs) plus its records, in one transaction on `client`. */
export async function claimCommandRow(client: PoolClient, names: Bookkeeping, claim: CommandClaim): Promise<boolean> {
  return inTransaction(client, async () => {
    const now = Date.now();
    const { rowCount } = await client.query(
      `UPDATE ${names.command} SET command = $1, running = true, owner = $2, "verbose" = $3, output = '', exception = NULL,
         count = $4, migrated = 0, progress_cursor = 0, progress_tables = '[]', started_at = $5, ended_at = NULL, heartbeat_at = $5
       WHERE id = 1 AND NOT running`,
      [claim.command, claim.owner, claim.verbose, claim.count, now],
    );
    if (rowCount !== 1) return false;
    await upsertMigrations(client, names, claim.migrations);
    return true;
  });
}

/** Upserts records only while `owner` holds the run lock. */
export async function setMigrationStatesRows(client: PoolClient, names: Bookkeeping, owner: string, records: MigrationRecord[]): Promise<boolean> {
  return inTransaction(client, async () => {
    if (!(await lockOwnedCommand(client, names, owner))) return false;
    await upsertMigrations(client, names, records);
    return true;
  });
}

/** Sets count, migrated (never lowered) and the per table progress. */
export async function setProgressRow(
  client: PoolClient, names: Bookkeeping, owner: string, count: number, migrated: number, tables: readonly TableProgress[],
): Promise<void> {
  await client.query(
    `UPDATE ${names.command} SET count = $1, migrated = greatest(migrated, $2), progress_tables = $4::jsonb WHERE id = 1 AND running AND owner = $3`,
    [count, migrated, owner, JSON.stringify(tables)],
  );
}

/** Ends the command `owner` runs and upserts its last records in one transaction. */
export async function completeCommandRows(
  client: PoolClient,
  names: Bookkeeping,
  owner: string,
  records: readonly MigrationRecord[],
  exception: string | null,
): Promise<boolean> {
  return inTransaction(client, async () => {
    if (!(await finishCommandRow(client, names, owner, exception))) return false;
    await upsertMigrations(client, names, records);
    return true;
  });
}

/** Refreshes the heartbeat of the command `owner` runs. */
export async function heartbeatRow(client: PoolClient, names: Bookkeeping, owner: string): Promise<void> {
  await client.query(`UPDATE ${names.command} SET heartbeat_at = $1 WHERE id = 1 AND running AND owner = $2`, [Date.now(), owner]);
}

/** Marks the command of a dead owner failed, fails its running records and lifts the protection (inside the caller's transaction). */
export async function interruptCommandRows(client: PoolClient, names: Bookkeeping, owner: string, exception: string): Promise<boolean> {
  if (!(await finishCommandRow(client, names, owner, exception))) return false;
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
