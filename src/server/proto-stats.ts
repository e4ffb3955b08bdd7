import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { CommandResult, CommandSummary, Stats } from "../core/results.ts";
import { type CommandInfo, CommandInfoSchema, StatsResponseSchema, type StatsResponse } from "../gen/migrations/v1/migrations_pb.ts";
import { toProtoState } from "./proto-state.ts";

/** The fields shared by every command response; optional ones only when present. */
export function commandFields(result: CommandResult) {
  return {
    status: toProtoState(result.status),
    ...(result.output !== undefined && { output: result.output }),
    ...(result.exception !== undefined && { exception: result.exception }),
  };
}

/** The Stats (and WatchStats) message of a core Stats. */
export function toStatsResponse(stats: Stats): StatsResponse {
  return create(StatsResponseSchema, {
    ...commandFields(stats),
    currentMigrationIndex: stats.currentMigrationIndex,
    targetMigrationIndex: stats.targetMigrationIndex,
    migratableModels: {
      count: BigInt(stats.migratableModels.count),
      migrated: BigInt(stats.migratableModels.migrated),
    },
    warnings: [...stats.warnings],
    tables: stats.tables.map((t) => ({ table: t.table, count: BigInt(t.count), migrated: BigInt(t.migrated) })),
    ...(stats.command !== null && { command: commandInfo(stats.command) }),
  });
}

function commandInfo(command: CommandSummary): CommandInfo {
  return create(CommandInfoSchema, {
    name: command.name,
    running: command.running,
    runner: command.runner ?? "",
    ...(command.startedAt !== null && { startedAt: timestampFromMs(command.startedAt) }),
    ...(command.endedAt !== null && { endedAt: timestampFromMs(command.endedAt) }),
    ...(command.rowsPerSecond !== null && { rowsPerSecond: command.rowsPerSecond }),
    ...(command.etaSeconds !== null && { etaSeconds: command.etaSeconds }),
  });
}
