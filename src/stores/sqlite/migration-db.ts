import Database from "better-sqlite3";
import type { MigrationDb, Row } from "../../migrations/types.ts";
import { splitSqlStatements } from "../../migrations/sql-statements.ts";
import { statementError } from "../../migrations/statement-error.ts";
import type { SessionOptions } from "../store.ts";
import type { Connection } from "./connection.ts";
import { toBindable } from "./sql.ts";

/** The `db` migration functions get on SQLite: statements run on the shadow session's connection. */
export function sqliteMigrationDb(db: Connection, options: SessionOptions): MigrationDb {
  return {
    dialect: "sqlite",
    verbose: options.verbose,
    async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      return showingStatement(sql, () => {
        const stmt = db.prepare(sql);
        const bound = params.map(toBindable);
        if (stmt.reader) return stmt.all(...bound) as R[];
        stmt.run(...bound);
        return [];
      });
    },
    async exec(sql: string): Promise<void> {
      // One statement at a time, in order, as SQLite's own exec does, so a failure names its statement.
      const statements = splitSqlStatements(sql);
      if (statements.length <= 1) showingStatement(sql, () => db.exec(sql));
      else for (const { sql: statement } of statements) showingStatement(statement, () => db.exec(statement));
    },
    log(line: string): void {
      options.log(line);
    },
  };
}

/** Runs `fn`; an error SQLite raised becomes a StatementError showing `sql`. */
function showingStatement<T>(sql: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof Database.SqliteError)) throw error;
    throw statementError(error.message, sql, undefined, error);
  }
}
