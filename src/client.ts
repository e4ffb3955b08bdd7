/** Public client API for other services: the generated MigrationService descriptor and its message types. */
export { MigrationService, MigrationState } from "./gen/migrations/v1/migrations_pb.ts";
export type { StatsResponse, WatchStatsResponse, CommandInfo, TableProgress } from "./gen/migrations/v1/migrations_pb.ts";
