import type { TableRoute } from "../migrations/table-route.ts";
import type { RegisteredMigration } from "./service-view.ts";
import type { StoredMigration } from "./state-store.ts";
import type { MigrationState } from "./states.ts";
import type { TableWritesPlan, WritesMode } from "./table-writes.ts";

/** How migrate brings a table to its new shape (the authoring rules' TableRoute), as the faces name it. */
export type PlannedRoute = TableRoute;

/** One table of a pending migration as a read-only look at the database finds it now. */
export interface SurveyedTable {
  /** The table. */
  table: string;
  /** Its rows now (0 for a table that does not exist yet). */
  rows: number;
  /** How migrate brings it to its new shape. */
  route: PlannedRoute;
  /** Whether migrate moves its rows here: false for a created table, in-place steps, and a copy an earlier pending migration made already. */
  moves: boolean;
}

/** One pending migration as a read-only look at the database finds it now. */
export interface SurveyedMigration {
  /** The NNNN index. */
  index: number;
  /** File name without extension. */
  name: string;
  /** The tables it touches, in the order migrate goes through them. */
  tables: SurveyedTable[];
  /** Its checkPrerequisites answer against the current data: "" when it may run. */
  prerequisites: string;
}

/** Looks at the pending migrations without changing anything (off the main thread): rows, routes and prerequisite answers. */
export type SurveyMigrations = (pending: readonly RegisteredMigration[]) => Promise<SurveyedMigration[]>;

/** One table of the plan. */
export interface PlannedTable extends Omit<SurveyedTable, "moves"> {
  /** Whether the application keeps writing it while it migrates. */
  writes: WritesMode;
  /** Why, in one sentence. */
  writesReason: string;
  /** Seconds it is expected to take at the measured rate; null when no rate was measured. */
  estimatedSeconds: number | null;
}

/** One pending migration of the plan, in the order migrate runs them. */
export interface PlannedMigration {
  /** The NNNN index. */
  index: number;
  /** File name without extension. */
  name: string;
  /** Its tables. */
  tables: PlannedTable[];
  /** Its checkPrerequisites answer: "" when it may run, else why not. */
  prerequisites: string;
}

/** What `migrate` would do now (`plan`): it changes nothing. */
export interface Plan {
  /** The service state. */
  status: MigrationState;
  /** The pending migrations in the order migrate runs them; empty when there is nothing to migrate. */
  migrations: PlannedMigration[];
  /** Seconds the whole migrate is expected to take; null when no rate was measured. */
  estimatedSeconds: number | null;
  /** True when every prerequisite check passed. */
  ready: boolean;
}

/** How many of the last measured migrations the rate is taken over. */
export const RATE_SAMPLE = 5;

/**
 * Rows per second of the last RATE_SAMPLE migrations whose migrate finished having moved rows on this
 * database: their rows moved over their durations (started → finished), summed; null when none did.
 */
export function measuredRate(records: readonly StoredMigration[]): number | null {
  const measured = records
    .filter((r) => r.startedAt !== null && r.finishedAt !== null && r.finishedAt > r.startedAt && r.rowsMoved > 0)
    .sort((a, b) => b.finishedAt! - a.finishedAt!)
    .slice(0, RATE_SAMPLE);
  if (measured.length === 0) return null;
  const rows = measured.reduce((sum, r) => sum + r.rowsMoved, 0);
  const seconds = measured.reduce((sum, r) => sum + (r.finishedAt! - r.startedAt!) / 1000, 0);
  return rows / seconds;
}

/** A table that only declared in-place steps change: nothing is copied, so nothing is protected or replayed. */
const IN_PLACE_WRITES = { mode: "captured", reason: "only declared steps change it, on the original table at finalize: it stays writable and nothing is replayed" } as const;

/** The plan from the survey, the writes decision of the shadow chain (`planTableWrites`) and the measured rate (rows per second, or null). */
export function buildPlan(status: MigrationState, surveyed: readonly SurveyedMigration[], writes: readonly TableWritesPlan[], rate: number | null): Plan {
  const byTable = new Map(writes.map((w) => [w.table, w]));
  const migrations = surveyed.map((migration): PlannedMigration => ({
    ...migration,
    tables: migration.tables.map(({ moves, ...table }): PlannedTable => {
      // `writes` covers every table of the shadow chain, which holds the pending migrations' `tables`.
      const decided = table.route === "in_place" ? IN_PLACE_WRITES : byTable.get(table.table)!;
      return { ...table, writes: decided.mode, writesReason: decided.reason, estimatedSeconds: rate === null ? null : moves ? table.rows / rate : 0 };
    }),
  }));
  const seconds = migrations.flatMap((m) => m.tables.map((t) => t.estimatedSeconds));
  return {
    status,
    migrations,
    estimatedSeconds: rate === null ? null : seconds.reduce<number>((sum, s) => sum + (s ?? 0), 0),
    ready: migrations.every((m) => m.prerequisites === ""),
  };
}
