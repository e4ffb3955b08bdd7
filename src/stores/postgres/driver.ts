import pg from "pg";
import type { StoreDriver } from "../store-driver.ts";
import { postgresMigrationDb } from "./migration-db.ts";
import { checkPostgresUrl, connectError } from "./pg-target.ts";
import { PostgresStore } from "./postgres-store.ts";
import { moveRangePostgres } from "./range-mover.ts";
import type { PgRangePlan } from "./range-plan.ts";
import { type PgReplayPlan, replayBatchPostgres } from "./replay.ts";

/** The production store: PostgreSQL, the origin schema of the connection and a shadow schema beside it. */
export const postgresDriver: StoreDriver = {
  dialect: "postgres",
  schemes: ["postgres", "postgresql"],
  canonicalUrl(url) {
    checkPostgresUrl(url);
    return url;
  },
  checkLocation: () => {},
  createStore: (url) => new PostgresStore(url),
  moveRange: (plan, range, map) => moveRangePostgres(plan as PgRangePlan, range, map),
  replayBatch: (plan, map) => replayBatchPostgres(plan as PgReplayPlan, map),
  async openSingleDb(url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect().catch((error: unknown) => {
      throw connectError(url, error);
    });
    return {
      ...postgresMigrationDb((fn) => fn(client as unknown as pg.PoolClient), { verbose: false, log: () => {} }),
      async tableNames() {
        const { rows } = await client.query<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
        );
        return rows.map(({ name }) => name);
      },
      close: () => client.end(),
    };
  },
};
