import { LeaseLostError } from "../lease-lost.ts";
import { holdsRunLock } from "./bookkeeping.ts";
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

/** In one write transaction, while `owner` holds the running command: installs (or replaces) the protection of `table`. */
export function protectTable(db: Connection, owner: string, table: string, message: string): boolean {
  return inWriteTransaction(db, () => {
    if (!holdsRunLock(db, owner)) throw new LeaseLostError(owner, `protecting table "${table}"`);
    return protectTableNow(db, table, message);
  });
}

/** Installs (or replaces) BEFORE INSERT/UPDATE/DELETE triggers that abort with `message`, in the caller's transaction; false when there is no such table. */
export function protectTableNow(db: Connection, table: string, message: string): boolean {
  if (!originHasTable(db, table)) return false;
  for (const op of OPERATIONS) {
    const name = quoteIdent(protectTriggerName(table, op));
    db.exec(`DROP TRIGGER IF EXISTS main.${name}`);
    db.exec(
      `CREATE TRIGGER main.${name} BEFORE ${op.toUpperCase()} ON ${quoteIdent(table)}
       BEGIN SELECT RAISE(ABORT, ${quoteText(message)}); END`,
    );
  }
  return true;
}

/** Whether every protection trigger of `table` is in place on it. */
export function isProtected(db: Connection, table: string): boolean {
  const found = db
    .prepare("SELECT count(*) AS n FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND name IN (?, ?, ?)")
    .get(table, ...OPERATIONS.map((op) => protectTriggerName(table, op))) as { n: number };
  return found.n === OPERATIONS.length;
}

function protectTriggerName(table: string, op: (typeof OPERATIONS)[number]): string {
  return `${PROTECT_PREFIX}${table}_${op}`;
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
