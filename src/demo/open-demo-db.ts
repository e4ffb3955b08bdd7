import { driverForUrl } from "../stores/drivers.ts";
import type { SingleConnectionDb } from "../stores/store-driver.ts";

/** A MigrationDb on one connection of its own, for seeding the demo before the service starts. */
export type DemoDb = SingleConnectionDb;

/** Opens the database of a URL on a single connection, for seedDemo (start-up checked its location first). */
export function openDemoDb(databaseUrl: string): Promise<DemoDb> {
  return driverForUrl(databaseUrl).openSingleDb(databaseUrl);
}
