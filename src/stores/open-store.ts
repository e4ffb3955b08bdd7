import type { Store } from "./store.ts";
import { sqlitePathFromUrl } from "./sqlite/connection.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";

/** Opens and initialises the store a database URL names: `sqlite:PATH` (PostgreSQL comes later). */
export async function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    const store = new SqliteStore(sqlitePathFromUrl(databaseUrl));
    try {
      await store.init();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error("PostgreSQL databases are not supported yet: use a sqlite:PATH database URL");
  }
  throw new Error(`Unsupported database URL "${databaseUrl}": expected sqlite:PATH`);
}
