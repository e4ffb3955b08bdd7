import type { QueryResult } from "pg";
import type { MigrationDb, Row } from "../../migrations/types.ts";
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
      const result = (await serialized((client) => client.query(sql, [...params]))) as QueryResult | QueryResult[];
      // Without parameters pg uses the simple protocol, where several statements give several results.
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return (last?.rows ?? []) as R[];
    },
    async exec(sql: string): Promise<void> {
      await serialized((client) => client.query(sql));
    },
    log(line: string): void {
      options.log(line);
    },
  };
}
