import { grouped } from "./log.ts";
import type { BenchOptions } from "./options.ts";
import { REFERENCES } from "./references.ts";
import type { MigrateSpec } from "./scenario-migrate.ts";
import { MULTI_TABLES } from "./table-shapes.ts";

/** Rows of the small finalize of scenario (e). */
export const SMALL_FINALIZE_ROWS = 10_000;

/** What a scenario's label may name. */
export interface LabelContext {
  /** The row count, grouped (`1,000,000`). */
  rows: string;
  /** The row count as a number. */
  count: number;
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
  /** Runs once per `--repeat` (each time on a fresh database) because a ratio compares it; others run once. */
  repeated?: boolean;
  /** How the rows of the probe's stalls name it, when its spec runs the probe. */
  probeLabel?(context: LabelContext): string;
  /** How its peak RSS row names it, when its spec watches memory. */
  memoryLabel?: string;
  /** What it runs (references it declares are timed on its database, before migrate and after finalize). */
  spec(options: BenchOptions): MigrateSpec;
}

/** The scenario whose references give the `÷ (a)` column, and whose stats polls and memory are (f) and (g). */
export const MAIN_SCENARIO = "transform_default_workers";

/** Rows of each table of scenario (t): `rows` shared by MULTI_TABLES tables. */
export const rowsPerTable = (rows: number): number => Math.max(1, Math.floor(rows / MULTI_TABLES));

/** Rows of scenario (w): a fifth of `rows` (200,000 at 1M), each about 2 KB wider. */
export const wideRows = (rows: number): number => Math.max(1, Math.floor(rows / 5));

/** Every migrate scenario, in the order they run and are printed; a new one is a new entry here. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    id: "copy",
    repeated: true,
    label: () => "(c) migrate, no transform",
    spec: (options) => ({ kind: "copy", rows: options.rows, references: ["insert-select"] }),
  },
  {
    id: "transform_1_worker",
    label: () => "(d1) migrate + transform, --workers 1",
    spec: (options) => ({ kind: "transform", rows: options.rows, workers: 1 }),
  },
  {
    id: "row_by_row",
    repeated: true,
    label: ({ sample }) => `(b) row-by-row UPDATEs in dataManipulation, ${sample} rows`,
    spec: (options) => ({ kind: "row-by-row", rows: options.sample }),
  },
  {
    id: MAIN_SCENARIO,
    repeated: true,
    label: ({ workers }) => `(dN) migrate + transform, default workers (${workers})`,
    finalizeLabel: ({ rows }) => `(e) finalize at ${rows} rows: wall / lock window`,
    probeLabel: ({ rows }) => `(e) at ${rows} rows`,
    memoryLabel: "(g) peak RSS of the service during dN",
    spec: (options) => ({
      kind: "transform",
      rows: options.rows,
      watchMemory: true,
      probe: true,
      references: REFERENCES.map((reference) => reference.kind),
    }),
  },
  {
    id: "transform_10k",
    label: () => "(e) migrate + transform at 10,000 rows",
    finalizeLabel: () => "(e) finalize at 10,000 rows: wall / lock window",
    spec: () => ({ kind: "transform", rows: SMALL_FINALIZE_ROWS }),
  },
  {
    id: "sql_transform",
    repeated: true,
    label: () => "(s) migrate + the (d) change as SQL expressions",
    spec: (options) => ({ kind: "sql-transform", rows: options.rows, references: ["insert-select"] }),
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
    probeLabel: () => "(i) 3 indexes + FK",
    spec: (options) => ({ kind: "transform", rows: options.rows, shape: "indexed", probe: true }),
  },
  {
    id: "tables",
    label: ({ count }) => `(t) migrate + transform, ${MULTI_TABLES} tables × ${grouped(rowsPerTable(count))} rows, one migration`,
    finalizeLabel: () => `(t) finalize, ${MULTI_TABLES} tables: wall / lock window`,
    probeLabel: () => `(t) ${MULTI_TABLES} tables`,
    spec: (options) => ({ kind: "transform", rows: rowsPerTable(options.rows) * MULTI_TABLES, shape: "tables", probe: true }),
  },
  {
    id: "wide",
    label: ({ count }) => `(w) migrate + transform, ${grouped(wideRows(count))} wide rows (2 KB text + json)`,
    finalizeLabel: ({ count }) => `(w) finalize at ${grouped(wideRows(count))} wide rows: wall / lock window`,
    probeLabel: () => "(w) wide rows",
    memoryLabel: "(w) peak RSS of the service during (w)'s migrate",
    spec: (options) => ({ kind: "transform", rows: wideRows(options.rows), shape: "wide", probe: true, watchMemory: true }),
  },
];
