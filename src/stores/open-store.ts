import { driverForUrl } from "./drivers.ts";
import type { Store } from "./store.ts";

/**
 * Opens and initialises the store a database URL names (see the driver table); `existing`: the database must
 * be there already (an SQLite file is never created), for stores opened after the service started.
 */
export async function openStore(databaseUrl: string, existing = false): Promise<Store> {
  const store = driverForUrl(databaseUrl).createStore(databaseUrl, existing);
  try {
    await store.init();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
