import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { followCommand } from "../../src/cli/follow-command.ts";
import type { MigrationClient } from "../../src/cli/migration-client.ts";
import { OutputFollower } from "../../src/cli/output-follower.ts";
import { ProgressBar } from "../../src/cli/progress-bar.ts";
import { MigrationState, StatsResponseSchema } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { fakeTerminal } from "./fake-terminal.ts";

/**
 * A client whose WatchStats stream sends the given responses in turn and then stays open without
 * news until the caller aborts, like the server; `stats` answers the last one.
 */
function scriptedClient(answers: MessageInitShape<typeof StatsResponseSchema>[]): MigrationClient & { calls: number; aborted: boolean } {
  const message = (answer: MessageInitShape<typeof StatsResponseSchema>) => create(StatsResponseSchema, { targetMigrationIndex: 1, ...answer });
  const client = {
    calls: 0,
    aborted: false,
    async stats() {
      client.calls++;
      return message(answers[answers.length - 1]!);
    },
    async *watchStats(_request: unknown, options: { signal: AbortSignal }) {
      options.signal.addEventListener("abort", () => (client.aborted = true));
      for (const answer of answers) yield { stats: message(answer) };
      await new Promise((resolve) => options.signal.addEventListener("abort", resolve));
    },
  };
  return client as unknown as MigrationClient & { calls: number; aborted: boolean };
}

const progress = (count: number, migrated: number) => ({ count: BigInt(count), migrated: BigInt(migrated) });

describe("OutputFollower", () => {
  it("prints each complete line once, and restarts when the output starts over", () => {
    const terminal = fakeTerminal(false);
    const follower = new OutputFollower(terminal);
    follower.update("a\nb");
    follower.update("a\nb\nc\n");
    follower.update("a\nb\nc\n");
    follower.update("x\n");
    follower.finish("x\ny");
    expect(terminal.stdout).toBe("a\nb\nc\nx\ny\n");
  });

  it("draws no bar when stdout is not a TTY", () => {
    const terminal = fakeTerminal(false);
    new OutputFollower(terminal).drawBar("[==>  ] 1/2 rows");
    expect(terminal.stdout).toBe("");
  });

  it("on a TTY clears the bar before a line and redraws it after", () => {
    const terminal = fakeTerminal(true);
    const follower = new OutputFollower(terminal);
    follower.drawBar("BAR");
    follower.update("line\n");
    follower.finish("line\n");
    expect(terminal.stdout).toBe("\r\x1b[KBAR\r\x1b[Kline\n\r\x1b[KBAR\r\x1b[K");
  });
});

describe("ProgressBar", () => {
  it("shows rows, percent, rate and ETA, within the terminal width", () => {
    const bar = new ProgressBar(80);
    expect(bar.render(0, 0, 0)).toBe("");
    bar.render(10_000, 1_000, 0);
    const line = bar.render(10_000, 3_000, 1_000);
    expect(line).toMatch(/^\[=+> *\] {2}3,000\/10,000 rows {2}30\.0% {2}2,000 rows\/s {2}ETA 0:04$/);
    expect(line.length).toBeLessThan(80);
    expect(bar.render(10_000, 10_000, 2_000)).toMatch(/^\[=+\] {2}10,000\/10,000 rows {2}100\.0%/);
  });

  it("shows the service's ETA when it has one (the rate of the transforms that remain), its own otherwise", () => {
    const bar = new ProgressBar(100);
    bar.render(10_000, 0, 0);
    // 5,000 rows copied at once in the first second: seen from here 5,000 rows/s, 0:01 left; the service knows better.
    expect(bar.render(10_000, 5_000, 1_000, 125)).toMatch(/ {2}5,000 rows\/s {2}ETA 2:05$/);
    expect(bar.render(10_000, 5_000, 1_000, null)).toMatch(/ {2}5,000 rows\/s {2}ETA 0:01$/);
  });
});

describe("followCommand", () => {
  it("follows the stream until the state is no longer running, printing new lines as they come, then leaves it", async () => {
    const client = scriptedClient([
      { status: MigrationState.MIGRATION_RUNNING, output: "migration started\nstep 1\n", migratableModels: progress(10, 5) },
      { status: MigrationState.FINALIZATION_REQUIRED, output: "migration started\nstep 1\nmigration finished\n", migratableModels: progress(10, 10) },
    ]);
    const terminal = fakeTerminal(false);
    const first = { status: "migration_running" as const, output: "migration started\n" };
    const final = await followCommand(client, first, terminal, { command: "migrate" });
    expect(final.status).toBe("finalization_required");
    expect(client.calls).toBe(0);
    expect(client.aborted).toBe(true);
    expect(final.migratable_models).toEqual({ count: 10, migrated: 10 });
    expect(terminal.stdout).toBe("migration started\nstep 1\nmigration finished\n");
  });

  it("reads stats once when the command already ended", async () => {
    const client = scriptedClient([{ status: MigrationState.MIGRATION_FAILED, output: "migration started\nboom\n", exception: "boom" }]);
    const terminal = fakeTerminal(false);
    const final = await followCommand(client, { status: "migration_failed", output: "migration started\n" }, terminal, { command: "migrate" });
    expect(client.calls).toBe(1);
    expect(final.exception).toBe("boom");
    expect(terminal.stdout).toBe("migration started\nboom\n");
  });

  it("finalize waits past a passing finalization_required between its phases", async () => {
    const client = scriptedClient([
      { status: MigrationState.FINALIZATION_REQUIRED },
      { status: MigrationState.FINALIZATION_RUNNING },
      { status: MigrationState.FINALIZED, output: "finalization finished\n" },
    ]);
    const final = await followCommand(client, { status: "migration_running", output: "" }, fakeTerminal(false), { command: "finalize", settleMs: 1000 });
    expect(final.status).toBe("finalized");
  });

  it("a verbose finalize, once finalized, waits for the lock window line written after the COMMIT (before its last line) and prints it in place", async () => {
    const migration = { index: 1, name: "0001_a", state: MigrationState.FINALIZED, checksum: "c", finalizedAt: { seconds: 1_700_000_001n, nanos: 0 } };
    const ended = { status: MigrationState.FINALIZED, output: "finalization started\nfinalization finished\n", migrations: [migration] };
    const client = scriptedClient([{ status: MigrationState.FINALIZATION_RUNNING, output: "finalization started\n" }, ended]);
    // The stream showed `finalized` before the lock window was written; the next reads have it.
    let reads = 0;
    client.stats = async () => {
      reads++;
      const answer = reads < 2 ? ended : { ...ended, output: "finalization started\nfinalization: lock window 3.5 ms\nfinalization finished\n", migrations: [{ ...migration, lockWindowMs: 3.5 }] };
      return create(StatsResponseSchema, { targetMigrationIndex: 1, ...answer });
    };
    const terminal = fakeTerminal(false);
    const final = await followCommand(client, { status: "finalization_running", output: "" }, terminal, { command: "finalize", verbose: true });
    expect(final.migrations[0]!.lock_window_ms).toBe(3.5);
    expect(terminal.stdout).toBe("finalization started\nfinalization: lock window 3.5 ms\nfinalization finished\n");
  });

  it("finalize takes a lasting finalization_required as the end after settleMs", async () => {
    const client = scriptedClient([{ status: MigrationState.FINALIZATION_REQUIRED }]);
    const final = await followCommand(client, { status: "finalization_required", output: "" }, fakeTerminal(false), { command: "finalize", settleMs: 30 });
    expect(final.status).toBe("finalization_required");
  });

  it("reset prints no output lines", async () => {
    const client = scriptedClient([{ status: MigrationState.MIGRATION_REQUIRED, output: "old output\n" }]);
    const terminal = fakeTerminal(false);
    await followCommand(client, { status: "migration_required", output: "old output\n" }, terminal, { command: "reset", showOutput: false });
    expect(terminal.stdout).toBe("");
  });
});
