import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { RunCommand } from "../core/commands.ts";
import type { MigrationInfo } from "../core/migration-list.ts";
import type { CommandResult, CommandSummary, Stats } from "../core/results.ts";
import {
  type CommandInfo,
  CommandInfoSchema,
  type MigrationInfo as ProtoMigrationInfo,
  MigrationInfoSchema,
  type MigrationState as ProtoState,
  StatsResponseSchema,
  type StatsResponse,
} from "../gen/migrations/v1/migrations_pb.ts";
import { fromProtoState, toProtoState } from "./proto-state.ts";
import { fromProtoWritesMode, toProtoWritesMode } from "./proto-writes-mode.ts";

/** The fields shared by every command response; optional ones only when present. */
export function commandFields(result: CommandResult) {
  return {
    status: toProtoState(result.status),
    output: result.output,
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
    writes: stats.writes.map((w) => ({
      table: w.table,
      mode: toProtoWritesMode(w.mode),
      reason: w.reason,
      backlog: BigInt(w.backlog),
      ...(w.replayRate !== null && { replayRate: w.replayRate }),
    })),
    ...(stats.throttle !== undefined && { throttle: { paused: stats.throttle.paused, maxRowsPerSecond: stats.throttle.maxRowsPerSecond } }),
    migrations: stats.migrations.map(migrationInfo),
  });
}

function migrationInfo(info: MigrationInfo): ProtoMigrationInfo {
  return create(MigrationInfoSchema, {
    index: info.index,
    name: info.name,
    state: toProtoState(info.state),
    checksum: info.checksum,
    ...(info.startedAt !== null && { startedAt: timestampFromMs(info.startedAt) }),
    ...(info.finishedAt !== null && { finishedAt: timestampFromMs(info.finishedAt) }),
    ...(info.finalizedAt !== null && { finalizedAt: timestampFromMs(info.finalizedAt) }),
    rowsMoved: BigInt(info.rowsMoved),
    fileChanged: info.fileChanged,
    ...(info.lockWindowMs !== null && { lockWindowMs: info.lockWindowMs }),
  });
}

function fromMigrationInfo(info: ProtoMigrationInfo): MigrationInfo {
  return {
    index: info.index,
    name: info.name,
    state: fromProtoState(info.state),
    checksum: info.checksum,
    startedAt: info.startedAt ? timestampMs(info.startedAt) : null,
    finishedAt: info.finishedAt ? timestampMs(info.finishedAt) : null,
    finalizedAt: info.finalizedAt ? timestampMs(info.finalizedAt) : null,
    rowsMoved: Number(info.rowsMoved),
    lockWindowMs: info.lockWindowMs ?? null,
    fileChanged: info.fileChanged,
  };
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

/** The core result of a command response (the inverse of commandFields); empty texts count as absent. */
export function fromCommandFields(response: { status: ProtoState; output?: string; exception?: string }): CommandResult {
  return {
    status: fromProtoState(response.status),
    output: response.output ?? "",
    ...(response.exception ? { exception: response.exception } : {}),
  };
}

/** The core Stats of a Stats message (the inverse of toStatsResponse; int64 counts become numbers). */
export function fromStatsResponse(response: StatsResponse): Stats {
  const command = response.command;
  return {
    ...fromCommandFields(response),
    currentMigrationIndex: response.currentMigrationIndex,
    targetMigrationIndex: response.targetMigrationIndex,
    migratableModels: {
      count: Number(response.migratableModels?.count ?? 0n),
      migrated: Number(response.migratableModels?.migrated ?? 0n),
    },
    warnings: [...response.warnings],
    tables: response.tables.map((t) => ({ table: t.table, count: Number(t.count), migrated: Number(t.migrated) })),
    command: command === undefined
      ? null
      : {
        name: command.name as RunCommand,
        running: command.running,
        runner: command.runner === "" ? null : command.runner,
        startedAt: command.startedAt ? timestampMs(command.startedAt) : null,
        endedAt: command.endedAt ? timestampMs(command.endedAt) : null,
        rowsPerSecond: command.rowsPerSecond ?? null,
        etaSeconds: command.etaSeconds ?? null,
      },
    writes: response.writes.map((w) => ({
      table: w.table,
      mode: fromProtoWritesMode(w.mode),
      reason: w.reason,
      backlog: Number(w.backlog),
      replayRate: w.replayRate ?? null,
    })),
    ...(response.throttle !== undefined && { throttle: { paused: response.throttle.paused, maxRowsPerSecond: response.throttle.maxRowsPerSecond } }),
    migrations: response.migrations.map(fromMigrationInfo),
  };
}
