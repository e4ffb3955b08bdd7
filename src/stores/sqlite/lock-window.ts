import { MigrationState } from "../../core/states.ts";
import { COMMAND_TABLE, STATE_TABLE } from "./bookkeeping.ts";
import { type Connection, inWriteTransaction } from "./connection.ts";

/**
 * Records the lock window of the finalize `owner` ended, in one write transaction: `lock_window_ms` of the
 * records of `indexes` that are finalized, and `output` put into the command row while it is still the one
 * `owner` ended (a command claimed since keeps its own output): before its last line `lastLine` when it ends
 * with it, else at its end.
 */
export function recordLockWindowRows(db: Connection, owner: string, indexes: readonly number[], lockWindowMs: number, output: string, lastLine: string): void {
  inWriteTransaction(db, () => {
    const record = db.prepare(`UPDATE ${STATE_TABLE} SET lock_window_ms = ? WHERE idx = ? AND state = ?`);
    for (const index of indexes) record.run(lockWindowMs, index, MigrationState.FINALIZED);
    if (output === "") return;
    db.prepare(
      `UPDATE ${COMMAND_TABLE} SET output = CASE WHEN substr(output, -length(@last)) = @last
       THEN substr(output, 1, length(output) - length(@last)) || @output || @last ELSE output || @output END
       WHERE id = 1 AND running = 0 AND owner = @owner`,
    ).run({ output, owner, last: lastLine });
  });
}
