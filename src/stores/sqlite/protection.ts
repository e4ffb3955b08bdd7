import { type Connection, inWriteTransaction } from "./connection.ts";
import { quoteIdent, quoteText } from "./sql.ts";

/** Name prefix of the write-protection triggers in the origin database. */
export const PROTECT_PREFIX = "_migration_protect_";
const OPERATIONS = ["insert", "update", "delete"] as const;

/** Whether the origin (main schema of `db`) has a table of that name. */
export function originHasTable(db: Connection, table: string): boolean {
  const sql = "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?";
  return db.prepare(sql).get(table) !== undefined;
}

/** Installs (or replaces) BEFORE INSERT/UPDATE/DELETE triggers that abort with `message`. */
export function protectTable(db: Connection, table: string, message: string): boolean {
  return inWriteTransaction(db, () => {
    if (!originHasTable(db, table)) return false;
    for (const op of OPERATIONS) {
      const name = quoteIdent(`${PROTECT_PREFIX}${table}_${op}`);
      db.exec(`DROP TRIGGER IF EXISTS main.${name}`);
      db.exec(
        `CREATE TRIGGER main.${name} BEFORE ${op.toUpperCase()} ON ${quoteIdent(table)}
         BEGIN SELECT RAISE(ABORT, ${quoteText(message)}); END`,
      );
    }
    return true;
  });
}

/** The names of all write-protection triggers in the main schema. */
export function protectionTriggers(db: Connection): string[] {
  const rows = db
    .prepare("SELECT name FROM main.sqlite_schema WHERE type = 'trigger' AND substr(name, 1, ?) = ?")
    .all(PROTECT_PREFIX.length, PROTECT_PREFIX) as { name: string }[];
  return rows.map((r) => r.name);
}

/** Drops every write-protection trigger; call inside a transaction or standalone. */
export function dropAllProtection(db: Connection): void {
  for (const name of protectionTriggers(db)) db.exec(`DROP TRIGGER IF EXISTS main.${quoteIdent(name)}`);
}
