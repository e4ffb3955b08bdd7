import type { BenchDatabase } from "./bench-database.ts";

/** What the service's figures are compared with, measured by the bench process itself on the same database. */
export type ReferenceKind = "insert-select" | "pipeline-objects" | "pipeline-strings" | "batched-update";

/** One reference: its figure prefix (`<id>_rows_per_s`, `<id>_ms`) and its row label. */
export interface ReferenceDefinition {
  kind: ReferenceKind;
  id: string;
  label: string;
}

/** Every reference, in the order they run and are printed. */
export const REFERENCES: readonly ReferenceDefinition[] = [
  { kind: "insert-select", id: "limit", label: "(a) INSERT … SELECT in the database (the limit)" },
  { kind: "pipeline-objects", id: "pipeline_objects", label: "(p1) hand-written pipeline, row objects" },
  { kind: "pipeline-strings", id: "pipeline_strings", label: "(p2) hand-written pipeline, string rows" },
  { kind: "batched-update", id: "batched_update", label: "(p3) pgroll-style batched UPDATE, 1,000 rows a batch" },
];

/** The definition of `kind`. */
export function referenceOf(kind: ReferenceKind): ReferenceDefinition {
  return REFERENCES.find((reference) => reference.kind === kind)!;
}

/** Rows per batch of the batched UPDATE: pgroll's default (pkg/backfill/config.go, DefaultBatchSize). */
export const BATCHED_UPDATE_ROWS = 1_000;

/** Rows per transaction of the SQLite pipelines' INSERTs. */
export const PIPELINE_TRANSACTION_ROWS = 10_000;

/** Times each of `kinds` once on `db`, in order, settling the database before each; ms per kind. */
export async function measureReferences(db: BenchDatabase, kinds: readonly ReferenceKind[]): Promise<Map<ReferenceKind, number>> {
  const times = new Map<ReferenceKind, number>();
  if (kinds.length === 0) return times;
  for (const kind of kinds) {
    await db.settle();
    times.set(kind, await db.timeReference(kind));
  }
  await db.settle();
  return times;
}
