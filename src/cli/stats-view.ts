import type { MigrationState as ProtoState, StatsResponse } from "../gen/migrations/v1/migrations_pb.ts";
import { type CommandResultJson, statsBody, type StatsJson } from "../wire/json-results.ts";
import { fromCommandFields, fromStatsResponse } from "../wire/proto-stats.ts";

/** A command answer as the CLI prints it: the route's shape (migration_route.md). */
export type CommandView = CommandResultJson;

/** The `stats` answer in the route's snake_case shape. */
export type StatsView = StatsJson;

/** Converts a Migrate/Finalize/Reset response to the route's shape. */
export function commandView(response: { status: ProtoState; output?: string; exception?: string }): CommandView {
  return fromCommandFields(response);
}

/** Converts a StatsResponse to the route's `stats` object, through the same code that writes the route's JSON. */
export function statsView(response: StatsResponse): StatsView {
  return statsBody(fromStatsResponse(response)).stats;
}
