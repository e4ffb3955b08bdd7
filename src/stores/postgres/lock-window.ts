import { MigrationState } from "../../core/states.ts";
import type { Bookkeeping } from "./bookkeeping.ts";
import type { PoolClient } from "./pg-pool.ts";

/**
 * Records the lock window of the finalize `owner` ended (inside the caller's transaction): `lock_window_ms` of the records
 * of `indexes` that are finalized, and `output` put into the command row while it is still the one `owner` ended
 * (a command claimed since keeps its own output): before its last line `lastLine` when it ends with it, else at its end.
 */
export async function recordLockWindowRows(
  client: PoolClient, names: Bookkeeping, owner: string, indexes: readonly number[], lockWindowMs: number, output: string, lastLine: string,
): Promise<void> {
  await client.query(`UPDATE ${names.state} SET lock_window_ms = $1 WHERE idx = ANY($2::integer[]) AND state = $3`, [
    lockWindowMs, [...indexes], MigrationState.FINALIZED,
  ]);
  if (output === "") return;
  await client.query(
    `UPDATE ${names.command} SET output = CASE WHEN right(output, length($3)) = $3 THEN left(output, length(output) - length($3)) || $1 || $3 ELSE output || $1 END
     WHERE id = 1 AND NOT running AND owner = $2`,
    [output, owner, lastLine],
  );
}
