import type { BenchStore } from "./bench-database.ts";

/** What scenario (a) measured. */
export interface LimitResult {
  /** Rows copied. */
  rows: number;
  /** Wall time of the `INSERT … SELECT`, in ms. */
  ms: number;
}

/** Scenario (a): the database's own `INSERT INTO items_copy SELECT * FROM items`, timed by a direct client. */
export async function runLimit(store: BenchStore, rows: number): Promise<LimitResult> {
  const db = await store.create(rows);
  try {
    return { rows, ms: await db.timeNativeCopy() };
  } finally {
    await db.drop();
  }
}
