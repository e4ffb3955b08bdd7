import type { BatchTransformer } from "../engine/types.ts";
import { closeThreadConnections } from "../stores/connection-slots.ts";
import { openStore } from "../stores/open-store.ts";
import type { Store } from "../stores/store.ts";
import { createTransformPool } from "./transform-pool.ts";

/** What the command thread keeps between commands, with what it was made for. */
interface Kept<T> {
  key: string;
  value: Promise<T>;
}

let store: Kept<Store> | null = null;
let transformer: Kept<BatchTransformer> | null = null;

/**
 * The store of `databaseUrl` this thread keeps across commands: opening one costs a connection and the
 * bookkeeping's init queries (PostgreSQL) or the file's pragmas, for every command. Before each use it
 * reads a snapshot, whose error (a deleted or replaced SQLite file, an unreachable PostgreSQL) is the
 * caller's, as the main thread's store says it too. It is never opened anew for that: opening an SQLite path
 * whose file was deleted would create an empty database there; a PostgreSQL pool reconnects by itself.
 */
export async function keptStore(databaseUrl: string): Promise<Store> {
  const kept = store;
  if (kept !== null && kept.key === databaseUrl) {
    const opened = await kept.value.catch(() => null);
    if (opened !== null) {
      await opened.snapshot();
      return opened;
    }
  }
  await closeKept(kept);
  // The service opened (or created) the database at its start; this thread never creates it anew.
  const opened = { key: databaseUrl, value: openStore(databaseUrl, true) };
  store = opened;
  opened.value.catch(() => {
    if (store === opened) store = null;
  });
  return opened.value;
}

/**
 * The transform pool this thread keeps across commands, for `workers` executors: its threads, once
 * started, keep their TypeScript loader, loaded migration modules and connections for the next ranges and
 * commands, and stop after the pool's idle timeout (see createTransformPool).
 */
export function keptTransformer(workers: number): Promise<BatchTransformer> {
  const key = String(workers);
  if (transformer !== null && transformer.key === key) return transformer.value;
  const previous = transformer;
  const made = { key, value: closeKept(previous).then(() => createTransformPool(workers)) };
  transformer = made;
  return made.value;
}

/**
 * Ends a command's use of the kept resources: closes the kept store's idle connections and this thread's
 * range connections (the pool's threads close theirs after a second idle), so that between commands the
 * thread holds no connection, as when each command opened and closed its own store.
 */
export async function afterCommand(): Promise<void> {
  const kept = await store?.value.catch(() => null);
  await Promise.all([kept?.releaseIdle().catch(() => {}), closeThreadConnections()]);
}

/** Closes what this thread keeps (the service closes): the transform threads, their connections and the store. */
export async function closeThreadResources(): Promise<void> {
  const kept = [transformer, store];
  transformer = null;
  store = null;
  await Promise.all(kept.map(closeKept));
  await closeThreadConnections();
}

async function closeKept(kept: Kept<{ close(): Promise<void> }> | null): Promise<void> {
  if (kept === null) return;
  const value = await kept.value.catch(() => null);
  await value?.close().catch(() => {});
}
