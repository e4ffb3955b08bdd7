import type { MigrationDb, Row } from "../../migrations/types.ts";
import type { SessionOptions } from "../store.ts";
import type { Connection } from "./connection.ts";
import { toBindable } from "./sql.ts";

/** The `db` migration functions get on SQLite: statements run on the shadow session's connection. */
export function sqliteMigrationDb(db: Connection, options: SessionOptions): MigrationDb {
  return {
    dialect: "sqlite",
    verbose: options.verbose,
    async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const stmt = db.prepare(sql);
      const bound = params.map(toBindable);
      if (stmt.reader) return stmt.all(...bound) as R[];
      stmt.run(...bound);
      return [];
    },
    async exec(sql: string): Promise<void> {
      db.exec(sql);
    },
    log(line: string): void {
      options.log(line);
    },
  };
}
