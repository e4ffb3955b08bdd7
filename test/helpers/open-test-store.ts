import { openStore } from "../../src/stores/open-store.ts";
import type { Store } from "../../src/stores/store.ts";
import type { StoreTarget, TestDatabase } from "./store-targets.ts";

/**
 * A fresh database of `target` (prepared by `before`, e.g. an older release's bookkeeping tables) and a store
 * opened on it; both are closed and dropped by `cleanups`, last in first out.
 */
export async function openTestStore(
  target: StoreTarget, cleanups: (() => Promise<void>)[], before?: (db: TestDatabase) => Promise<void>,
): Promise<{ store: Store; db: TestDatabase }> {
  const db = await target.create();
  cleanups.push(() => db.drop());
  await before?.(db);
  const store = await openStore(db.url);
  cleanups.push(() => store.close());
  return { store, db };
}
