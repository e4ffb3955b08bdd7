import type { BenchOptions } from "./options.ts";
import { REFERENCES } from "./references.ts";
import type { MigrateSpec } from "./scenario-migrate.ts";

/** Rows of the small finalize of scenario (e). */
export const SMALL_FINALIZE_ROWS = 10_000;

/** What a scenario's label may name. */
export interface LabelContext {
  /** The row count, grouped (`1,000,000`). */
  rows: string;
  /** The sample of (b), grouped. */
  sample: string;
  /** The service's default worker count. */
  workers: number;
}

/** One migrate + finalize through the service, on a fresh database and a fresh service process. */
export interface ScenarioDefinition {
  /** Prefix of its figures: `<id>_rows_per_s`, `<id>_migrate_ms`, `<id>_finalize_ms`, `<id>_lock_window_ms`. */
  id: string;
  /** Its row in the table (rate) and its finalize row, when it has one. */
  label(context: LabelContext): string;
  finalizeLabel?(context: LabelContext): string;
  /** False for a scenario that moves no rows (its finalize row shows migrate + finalize). */
  moves?: boolean;
  /** What it runs (references it declares are timed on its database, before migrate and after finalize). */
  spec(options: BenchOptions): MigrateSpec;
}

/** The scenario whose migrate the references are timed around, and whose stats polls and memory are (f) and (g). */
export const MAIN_SCENARIO = "transform_default_workers";

/** Every migrate scenario, in the order they run and are printed; a new one is a new entry here. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    id: "row_by_row",
    label: ({ sample }) => `(b) row-by-row UPDATEs in dataManipulation, ${sample} rows`,
    spec: (options) => ({ kind: "row-by-row", rows: options.sample }),
  },
  { id: "copy", label: () => "(c) migrate, no transform", spec: (options) => ({ kind: "copy", rows: options.rows }) },
  {
    id: "transform_1_worker",
    label: () => "(d1) migrate + transform, --workers 1",
    spec: (options) => ({ kind: "transform", rows: options.rows, workers: 1 }),
  },
  {
    id: MAIN_SCENARIO,
    label: ({ workers }) => `(dN) migrate + transform, default workers (${workers})`,
    finalizeLabel: ({ rows }) => `(e) finalize at ${rows} rows: wall / lock window`,
    spec: (options) => ({ kind: "transform", rows: options.rows, watchMemory: true, references: REFERENCES.map((reference) => reference.kind) }),
  },
  {
    id: "transform_10k",
    label: () => "(e) migrate + transform at 10,000 rows",
    finalizeLabel: () => "(e) finalize at 10,000 rows: wall / lock window",
    spec: () => ({ kind: "transform", rows: SMALL_FINALIZE_ROWS }),
  },
  {
    id: "sql_transform",
    label: () => "(s) migrate + the (d) change as SQL expressions",
    spec: (options) => ({ kind: "sql-transform", rows: options.rows }),
  },
  {
    id: "add_column",
    moves: false,
    label: () => "(k) migrate, a column added in place (no copy)",
    finalizeLabel: ({ rows }) => `(k) add a column with a default at ${rows} rows: migrate + finalize / lock window`,
    spec: (options) => ({ kind: "add-column", rows: options.rows }),
  },
  {
    id: "indexed",
    label: () => "(i) migrate + transform, 3 indexes (1 unique) + a foreign key",
    finalizeLabel: ({ rows }) => `(i) finalize at ${rows} rows, 3 indexes + FK: wall / lock window`,
    spec: (options) => ({ kind: "transform", rows: options.rows, shape: "indexed" }),
  },
];
