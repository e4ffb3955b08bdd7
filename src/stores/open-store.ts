import { driverForUrl } from "./drivers.ts";
import type { Store } from "./store.ts";

/** Opens and initialises the store a database URL names (see the driver table). */
export async function openStore(databaseUrl: string): Promise<Store> {
  const store = driverForUrl(databaseUrl).createStore(databaseUrl);
  try {
    await store.init();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
