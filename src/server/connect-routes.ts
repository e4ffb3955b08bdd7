import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { CommandOptions, MigrationApi } from "../core/results.ts";
import {
  CancelResponseSchema,
  FinalizeResponseSchema,
  MigrateResponseSchema,
  MigrationService,
  PauseResponseSchema,
  ResetResponseSchema,
  ResumeResponseSchema,
  WatchStatsResponseSchema,
} from "../gen/migrations/v1/migrations_pb.ts";
import { toPlanResponse } from "../wire/proto-plan.ts";
import { commandFields, toStatsResponse } from "../wire/proto-stats.ts";
import { watchStats } from "./stats-watch.ts";
import { cancelBy, clientAddressKey } from "./cancel-by.ts";

/** The request's optional `max_rows_per_second` as command options (unset: none). */
function limitOf(req: { maxRowsPerSecond?: number }): CommandOptions {
  return req.maxRowsPerSecond === undefined ? {} : { maxRowsPerSecond: req.maxRowsPerSecond };
}

/**
 * The Connect routes of `migrations.v1.MigrationService`, calling the same MigrationApi as the JSON route.
 * Errors are thrown as they come; the error interceptor turns them into ConnectErrors.
 */
export function createConnectRoutes(api: MigrationApi): (router: ConnectRouter) => void {
  return (router) =>
    router.service(MigrationService, {
      migrate: async (req) => create(MigrateResponseSchema, commandFields(await api.execute("migrate", req.verbose, limitOf(req)))),
      finalize: async (req) => create(FinalizeResponseSchema, commandFields(await api.execute("finalize", req.verbose, limitOf(req)))),
      reset: async (req) => create(ResetResponseSchema, commandFields(await api.execute("reset", req.verbose))),
      pause: async () => create(PauseResponseSchema, commandFields(await api.execute("pause", false))),
      resume: async (req) => create(ResumeResponseSchema, commandFields(await api.execute("resume", false, limitOf(req)))),
      cancel: async (req, context) =>
        create(CancelResponseSchema, commandFields(await api.execute("cancel", false, { by: cancelBy(req.by, context.values.get(clientAddressKey)) }))),
      stats: async () => toStatsResponse(await api.stats()),
      plan: async () => toPlanResponse(await api.plan()),
      async *watchStats(_req, context) {
        for await (const stats of watchStats(api, context.signal)) {
          yield create(WatchStatsResponseSchema, { stats: toStatsResponse(stats) });
        }
      },
    });
}
