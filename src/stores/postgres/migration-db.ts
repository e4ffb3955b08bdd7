import pg, { type QueryResult } from "pg";
import type { MigrationDb, Row } from "../../migrations/types.ts";
import { splitSqlStatements } from "../../migrations/sql-statements.ts";
import { statementError } from "../../migrations/statement-error.ts";
import type { SessionOptions } from "../store.ts";
import type { PoolClient } from "./pg-pool.ts";

/** Runs one call on the session's connection after every earlier one (a pg client must not interleave transactions). */
export type Serialized = <T>(fn: (client: PoolClient) => Promise<T>) => Promise<T>;

/** The `db` migration functions get on PostgreSQL: statements on the session's pinned client, `$1` parameters. */
export function postgresMigrationDb(serialized: Serialized, options: SessionOptions): MigrationDb {
  return {
    dialect: "postgres",
    verbose: options.verbose,
    async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = (await run(serialized, sql, [...params])) as QueryResult | QueryResult[];
      // Without parameters pg uses the simple protocol, where several statements give several results.
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return (last?.rows ?? []) as R[];
    },
    async exec(sql: string): Promise<void> {
      await run(serialized, sql);
    },
    log(line: string): void {
      options.log(line);
    },
  };
}

/** Runs `sql`; a database error becomes a StatementError showing the statement that failed. */
async function run(serialized: Serialized, sql: string, params?: unknown[]): Promise<unknown> {
  try {
    return await serialized((client) => (params === undefined ? client.query(sql) : client.query(sql, params)));
  } catch (error) {
    if (!(error instanceof pg.DatabaseError)) throw error;
    throw failedStatement(error, sql);
  }
}

/**
 * The statement of `sql` that failed: the one holding the error's position (one string may hold several
 * statements), else the whole text when it holds one statement or the database gave no position.
 */
function failedStatement(error: pg.DatabaseError, sql: string): Error {
  const position = error.position === undefined ? undefined : Number(error.position);
  const statements = splitSqlStatements(sql);
  if (position !== undefined && Number.isInteger(position) && statements.length > 0) {
    const holding = statements.filter((s) => s.at < position).pop() ?? statements[0]!;
    return statementError(error.message, holding.sql, position - holding.at, error, error.detail);
  }
  return statementError(error.message, statements.length === 1 ? statements[0]!.sql : sql, undefined, error, error.detail);
}
