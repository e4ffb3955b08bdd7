import type { Plan, PlannedRoute, PlannedTable } from "../core/plan.ts";
import type { MigrationState } from "../core/states.ts";
import type { WritesMode } from "../core/table-writes.ts";
import { tenths } from "./json-results.ts";

/** The route's `plan.migrations[].tables[]`. */
export interface PlannedTableJson {
  /** The table. */
  table: string;
  /** Its rows now. */
  rows: number;
  /** `copy`, `transform`, `sql`, `create` or `in_place`. */
  route: PlannedRoute;
  /** `captured` (stays writable) or `protected` (writes refused until finalize). */
  writes: WritesMode;
  /** Why, in one sentence. */
  writes_reason: string;
  /** Seconds expected at the measured rate, or null. */
  estimated_seconds: number | null;
}

/** The route's `plan`: what migrate would do now. */
export interface PlanJson {
  /** The service state. */
  status: MigrationState;
  /** The pending migrations in the order migrate runs them. */
  migrations: { index: number; name: string; tables: PlannedTableJson[]; prerequisites: string }[];
  /** Seconds the whole migrate is expected to take, or null. */
  estimated_seconds: number | null;
  /** True when every prerequisite check passed. */
  ready: boolean;
}

/** `{"success": true, "plan": {…}}` in snake_case; seconds rounded to 0.1. */
export function planBody(plan: Plan): { success: true; plan: PlanJson } {
  return {
    success: true,
    plan: {
      status: plan.status,
      migrations: plan.migrations.map((m) => ({ index: m.index, name: m.name, tables: m.tables.map(tableJson), prerequisites: m.prerequisites })),
      estimated_seconds: tenths(plan.estimatedSeconds),
      ready: plan.ready,
    },
  };
}

function tableJson(table: PlannedTable): PlannedTableJson {
  return {
    table: table.table,
    rows: table.rows,
    route: table.route,
    writes: table.writes,
    writes_reason: table.writesReason,
    estimated_seconds: tenths(table.estimatedSeconds),
  };
}
