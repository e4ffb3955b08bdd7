import type { Store } from "./store.ts";
import { PostgresStore } from "./postgres/postgres-store.ts";
import { sqlitePathFromUrl } from "./sqlite/connection.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";

/** Opens and initialises the store a database URL names: `sqlite:PATH`, or `postgres://…` / `postgresql://…`. */
export async function openStore(databaseUrl: string): Promise<Store> {
  const store = createStore(databaseUrl);
  try {
    await store.init();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}

function createStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith("sqlite:")) return new SqliteStore(sqlitePathFromUrl(databaseUrl));
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return new PostgresStore(databaseUrl);
  throw new Error(`Unsupported database URL "${databaseUrl}": expected sqlite:PATH or postgres://HOST/DATABASE`);
}
