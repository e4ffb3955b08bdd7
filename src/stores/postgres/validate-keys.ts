import type pg from "pg";
import type { Bookkeeping } from "./bookkeeping.ts";
import { withClient } from "./pg-pool.ts";
import { quoteIdent } from "./sql.ts";
import type { ForeignKeyPlan } from "./swap-foreign-keys.ts";

/**
 * Validates the foreign keys the swap re-created NOT VALID. VALIDATE takes SHARE UPDATE EXCLUSIVE, so the
 * application reads and writes on. The rows were checked before the swap; a row written between that
 * check and the swap can still break a key: then the key stays NOT VALID (still enforced for new rows),
 * and a warning line naming it goes to the ended command's output, for the operator to fix the rows and
 * run `ALTER TABLE … VALIDATE CONSTRAINT …`. Returns the warnings.
 */
export async function validateForeignKeys(pool: pg.Pool, names: Bookkeeping, owner: string, keys: readonly ForeignKeyPlan[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const fk of keys) {
    try {
      await withClient(pool, (client) => client.query(`ALTER TABLE ${fk.childAfter} VALIDATE CONSTRAINT ${quoteIdent(fk.name)}`));
    } catch (error) {
      warnings.push(
        `finalization: warning: foreign key "${fk.name}" of table "${fk.child}" is left NOT VALID: ${(error as Error).message}; ` +
          `fix the rows, then run ALTER TABLE ${fk.childAfter} VALIDATE CONSTRAINT ${quoteIdent(fk.name)}\n`,
      );
    }
  }
  if (warnings.length > 0) {
    await withClient(pool, (client) =>
      client.query(`UPDATE ${names.command} SET output = output || $1 WHERE id = 1 AND NOT running AND owner = $2`, [warnings.join(""), owner]),
    ).catch(() => {});
  }
  return warnings;
}
