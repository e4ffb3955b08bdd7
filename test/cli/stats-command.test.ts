import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { ClientOptions } from "../../src/cli/client-options.ts";
import type { MigrationClient } from "../../src/cli/migration-client.ts";
import { statsCommand } from "../../src/cli/stats-command.ts";
import { MigrationState, StatsResponseSchema, WritesMode } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { fakeTerminal } from "./fake-terminal.ts";

/** A client whose Stats answers `answer`. */
function statsClient(answer: MessageInitShape<typeof StatsResponseSchema>): MigrationClient {
  return { stats: async () => create(StatsResponseSchema, answer) } as unknown as MigrationClient;
}

const options = (json: boolean): ClientOptions => ({ url: "http://127.0.0.1:9011", password: "dev", verbose: false, json, help: false });

const MIGRATED: MessageInitShape<typeof StatsResponseSchema> = {
  status: MigrationState.FINALIZATION_REQUIRED,
  currentMigrationIndex: 2,
  targetMigrationIndex: 3,
  migratableModels: { count: 1500n, migrated: 1500n },
  writes: [
    { table: "person", mode: WritesMode.CAPTURED, reason: "each write is replayed", backlog: 12_345n, replayRate: 340.46 },
    { table: "guest", mode: WritesMode.CAPTURED, reason: "each write is replayed", backlog: 0n },
    { table: "order", mode: WritesMode.PROTECTED, reason: "migration 0003_x changes rows with dataManipulation, which cannot be replayed row by row", backlog: 0n },
  ],
};

describe("migrations stats", () => {
  it("prints one line per table of the pending migrations: captured with its backlog and replay rate, or protected and why", async () => {
    const terminal = fakeTerminal(false);
    await statsCommand(statsClient(MIGRATED), options(false), terminal);
    const lines = terminal.stdout.split("\n");
    const at = lines.indexOf("Application writes:");
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "  person: captured, backlog 12,345, replaying 340.5/s",
      "  guest: captured, backlog 0",
      "  order: protected (migration 0003_x changes rows with dataManipulation, which cannot be replayed row by row)",
    ]);
  });

  it("prints no writes heading when no table is pending", async () => {
    const terminal = fakeTerminal(false);
    await statsCommand(statsClient({ ...MIGRATED, writes: [] }), options(false), terminal);
    expect(terminal.stdout).toContain("Status:           finalization_required\n");
    expect(terminal.stdout).not.toContain("Application writes");
  });

  it("prints the throttle of a running migrate, and no throttle line when none runs", async () => {
    const running = { ...MIGRATED, status: MigrationState.MIGRATION_RUNNING, throttle: { paused: true, maxRowsPerSecond: 12_000 } };
    const terminal = fakeTerminal(false);
    await statsCommand(statsClient(running), options(false), terminal);
    expect(terminal.stdout).toContain("\nThrottle:         paused (migrations resume), at most 12,000 rows/s\n");
    const idle = fakeTerminal(false);
    await statsCommand(statsClient(MIGRATED), options(false), idle);
    expect(idle.stdout).not.toContain("Throttle");
  });

  it("prints how many migrations are in each state, and how many files changed", async () => {
    const migrations = [
      { index: 1, name: "0001_a", state: MigrationState.FINALIZED, checksum: "a", rowsMoved: 10n, fileChanged: true },
      { index: 2, name: "0002_b", state: MigrationState.FINALIZATION_REQUIRED, checksum: "b", rowsMoved: 5n },
      { index: 3, name: "0003_c", state: MigrationState.FINALIZATION_REQUIRED, checksum: "c", rowsMoved: 7n },
    ];
    const terminal = fakeTerminal(false);
    await statsCommand(statsClient({ ...MIGRATED, migrations }), options(false), terminal);
    expect(terminal.stdout).toContain("\nMigrations:       3: 1 finalized, 2 finalization_required; 1 file(s) changed (migrations list)\n");
    const none = fakeTerminal(false);
    await statsCommand(statsClient(MIGRATED), options(false), none);
    expect(none.stdout).not.toContain("Migrations:");
  });

  it("--json prints writes keyed by table, in snake_case", async () => {
    const terminal = fakeTerminal(false);
    await statsCommand(statsClient(MIGRATED), options(true), terminal);
    expect((JSON.parse(terminal.stdout) as { writes: unknown }).writes).toEqual({
      person: { mode: "captured", reason: "each write is replayed", backlog: 12345, replay_rate: 340.5 },
      guest: { mode: "captured", reason: "each write is replayed", backlog: 0, replay_rate: null },
      order: { mode: "protected", reason: "migration 0003_x changes rows with dataManipulation, which cannot be replayed row by row", backlog: 0, replay_rate: null },
    });
  });
});
