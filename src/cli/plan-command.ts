import { fromPlanResponse } from "../wire/proto-plan.ts";
import { planBody, type PlanJson, type PlannedTableJson } from "../wire/json-plan.ts";
import type { ClientOptions } from "./client-options.ts";
import { ExitCode } from "./exit-codes.ts";
import { formatCount } from "./format-stats.ts";
import type { MigrationClient } from "./migration-client.ts";
import { textTable } from "./text-table.ts";
import type { Terminal } from "./terminal.ts";

/**
 * `migrations plan`: what migrate would do now, as text or with `--json` the route's `plan` object. Exit 0
 * when every prerequisite check passes, 1 when one refuses.
 */
export async function planCommand(client: MigrationClient, options: ClientOptions, terminal: Terminal): Promise<ExitCode> {
  const { plan } = planBody(fromPlanResponse(await client.plan({})));
  if (options.json) terminal.out(JSON.stringify(plan, null, 2));
  else for (const line of formatPlan(plan)) terminal.out(line);
  return plan.ready ? ExitCode.OK : ExitCode.FAILED;
}

/** The readable plan: per pending migration its tables (rows, route, writes, time) and its prerequisite answer, then the total. */
export function formatPlan(plan: PlanJson): string[] {
  const lines = [`Status: ${plan.status}`];
  if (plan.migrations.length === 0) return [...lines, "Nothing to migrate."];
  for (const migration of plan.migrations) {
    lines.push("", `${migration.index} ${migration.name}`);
    const rows = migration.tables.map((t) => ["", t.table, formatCount(t.rows), t.route, t.writes, seconds(t.estimated_seconds)]);
    lines.push(...textTable([["", "TABLE", "ROWS", "ROUTE", "WRITES", "TIME"], ...rows]));
    for (const table of migration.tables.filter((t) => t.writes === "protected")) lines.push(`  ${table.table} is protected: ${table.writes_reason}`);
    lines.push(migration.prerequisites === "" ? "  prerequisites: ok" : `  prerequisites: refused: ${migration.prerequisites}`);
  }
  lines.push("", `Estimated time: ${plan.estimated_seconds === null ? "unknown (no migrate measured on this database yet)" : seconds(plan.estimated_seconds)}`);
  lines.push(plan.ready ? "Ready: migrate may run." : "Not ready: a prerequisite check refuses; migrate would fail there.");
  return lines;
}

/** `12.5 s`, or `-` when unknown. */
function seconds(value: PlannedTableJson["estimated_seconds"]): string {
  return value === null ? "-" : `${value.toLocaleString("en-US", { maximumFractionDigits: 1 })} s`;
}
