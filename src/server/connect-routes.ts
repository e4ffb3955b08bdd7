import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { MigrationApi } from "../core/results.ts";
import {
  FinalizeResponseSchema,
  MigrateResponseSchema,
  MigrationService,
  ResetResponseSchema,
  WatchStatsResponseSchema,
} from "../gen/migrations/v1/migrations_pb.ts";
import { commandFields, toStatsResponse } from "../wire/proto-stats.ts";
import { watchStats } from "./stats-watch.ts";

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
      async *watchStats(_req, context) {
        for await (const stats of watchStats(api, context.signal)) {
          yield create(WatchStatsResponseSchema, { stats: toStatsResponse(stats) });
        }
      },
    });
}
