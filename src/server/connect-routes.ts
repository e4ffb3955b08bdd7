import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { CommandResult, MigrationApi, Stats } from "../core/results.ts";
import {
  FinalizeResponseSchema,
  MigrateResponseSchema,
  MigrationService,
  ResetResponseSchema,
  StatsResponseSchema,
  type StatsResponse,
} from "../gen/migrations/v1/migrations_pb.ts";
import { toProtoState } from "./proto-state.ts";

/**
 * The Connect routes of `migrations.v1.MigrationService`, calling the same MigrationApi as the JSON route.
 * Errors are thrown as they come; the error interceptor turns them into ConnectErrors.
 */
export function createConnectRoutes(api: MigrationApi): (router: ConnectRouter) => void {
  return (router) =>
    router.service(MigrationService, {
      migrate: async (req) => create(MigrateResponseSchema, commandFields(await api.execute("migrate", req.verbose))),
      finalize: async (req) => create(FinalizeResponseSchema, commandFields(await api.execute("finalize", req.verbose))),
      reset: async (req) => create(ResetResponseSchema, commandFields(await api.execute("reset", req.verbose))),
      stats: async () => toStatsResponse(await api.stats()),
    });
}

/** The fields shared by every command response; optional ones only when present. */
function commandFields(result: CommandResult) {
  return {
    status: toProtoState(result.status),
    ...(result.output !== undefined && { output: result.output }),
    ...(result.exception !== undefined && { exception: result.exception }),
  };
}

function toStatsResponse(stats: Stats): StatsResponse {
  return create(StatsResponseSchema, {
    ...commandFields(stats),
    currentMigrationIndex: stats.currentMigrationIndex,
    targetMigrationIndex: stats.targetMigrationIndex,
    migratableModels: {
      count: BigInt(stats.migratableModels.count),
      migrated: BigInt(stats.migratableModels.migrated),
    },
    warnings: [...stats.warnings],
  });
}
