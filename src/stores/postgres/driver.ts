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
      close: () => client.end(),
    };
  },
};
