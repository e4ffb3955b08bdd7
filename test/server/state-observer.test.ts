import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/core/plan.ts";
import type { CommandResult, CommandSummary, MigrationApi, Stats } from "../../src/core/results.ts";
import type { MigrationState } from "../../src/core/states.ts";
import { startStateObserver } from "../../src/server/state-observer.ts";
import { MemoryLogger } from "./support/start-server.ts";

/** An API whose next stats answer (or error) the test sets. */
class ScriptedApi implements MigrationApi {
  next: Stats | Error = stats("migration_required", null);
  calls = 0;
  async stats(): Promise<Stats> {
    this.calls++;
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
  execute(): Promise<CommandResult> {
    return Promise.reject(new Error("not used"));
  }
  plan(): Promise<Plan> {
    return Promise.reject(new Error("not used"));
  }
}

function stats(status: MigrationState, command: CommandSummary | null): Stats {
  return { migrations: [],
    status, output: "", currentMigrationIndex: 0, targetMigrationIndex: 1, migratableModels: { count: 0, migrated: 0 }, warnings: [], tables: [], command, writes: [],
  };
}

function command(name: "migrate" | "finalize" | "reset", startedAt: number, endedAt: number | null): CommandSummary {
  return { name, running: endedAt === null, runner: "host:7:cafe", startedAt, endedAt, rowsPerSecond: null, etaSeconds: null };
}

function setUp(first: Stats | Error, reportsOwnEnd?: (runner: string) => boolean) {
  const api = new ScriptedApi();
  api.next = first;
  const logger = new MemoryLogger();
  const ends: [string, string, number][] = [];
  const observer = startStateObserver({ api, logger, intervalMs: 3_600_000, onCommandEnd: (...end) => ends.push(end), reportsOwnEnd });
  const lines = (msg: string) => logger.entries.map((e) => e.entry as Record<string, unknown>).filter((e) => e.msg === msg);
  return { api, logger, ends, observer, lines };
}

describe("startStateObserver", () => {
  it("reports the state found first, from null, but not a command that ended before it started", async () => {
    const t = setUp(stats("finalization_required", command("migrate", 1000, 5000)));
    await t.observer.poll();
    expect(t.lines("state changed")).toEqual([
      { msg: "state changed", from: null, to: "finalization_required", command: "migrate", runner: "host:7:cafe" },
    ]);
    expect(t.ends).toEqual([]);
    await t.observer.stop();
  });

  it("one line per state change; a command's end once, with its duration and outcome", async () => {
    const t = setUp(stats("migration_required", null));
    await t.observer.poll();
    t.api.next = stats("migration_running", command("migrate", 10_000, null));
    await t.observer.poll();
    await t.observer.poll();
    t.api.next = stats("finalization_required", command("migrate", 10_000, 12_500));
    await t.observer.poll();
    await t.observer.poll();
    expect(t.lines("state changed").map(({ from, to, command }) => [from, to, command])).toEqual([
      [null, "migration_required", null],
      ["migration_required", "migration_running", "migrate"],
      ["migration_running", "finalization_required", "migrate"],
    ]);
    expect(t.ends).toEqual([["migrate", "success", 2.5]]);
    expect(t.lines("command ended")).toEqual([
      { msg: "command ended", command: "migrate", outcome: "success", duration_s: 2.5, runner: "host:7:cafe", status: "finalization_required" },
    ]);
    await t.observer.stop();
  });

  it("a command that started and failed between two polls counts as failed; a later reset as success", async () => {
    const t = setUp(stats("migration_required", null));
    await t.observer.poll();
    t.api.next = stats("migration_failed", command("migrate", 20_000, 23_000));
    await t.observer.poll();
    t.api.next = stats("migration_required", command("reset", 30_000, 30_100));
    await t.observer.poll();
    expect(t.ends).toEqual([["migrate", "failed", 3], ["reset", "success", 0.1]]);
    await t.observer.stop();
  });

  it("leaves the end of a command whose runner reports it itself (this replica's) alone; reports other runners' ends", async () => {
    const t = setUp(stats("migration_required", null), (runner) => runner.startsWith("host:7:cafe."));
    await t.observer.poll();
    t.api.next = stats("finalization_required", { ...command("migrate", 10_000, 12_000), runner: "host:7:cafe.1" });
    await t.observer.poll();
    t.api.next = stats("migration_required", { ...command("reset", 20_000, 21_000), runner: "host:8:beef.1" });
    await t.observer.poll();
    expect(t.ends).toEqual([["reset", "success", 1]]);
    expect(t.lines("command ended").map((line) => [line.command, line.runner])).toEqual([["reset", "host:8:beef.1"]]);
    expect(t.lines("state changed")).toHaveLength(3);
    await t.observer.stop();
  });

  it("a failing stats is one warning until it answers again", async () => {
    const t = setUp(new Error("database \"x\" does not exist"));
    await t.observer.poll();
    await t.observer.poll();
    expect(t.logger.entries.filter((e) => e.level === "warn")).toHaveLength(1);
    t.api.next = stats("finalized", null);
    await t.observer.poll();
    t.api.next = new Error("gone again");
    await t.observer.poll();
    expect(t.logger.entries.filter((e) => e.level === "warn")).toHaveLength(2);
    await t.observer.stop();
  });

  it("polls on its timer until stopped", async () => {
    const api = new ScriptedApi();
    const observer = startStateObserver({ api, logger: new MemoryLogger(), intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    await observer.stop();
    const calls = api.calls;
    expect(calls).toBeGreaterThan(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.calls).toBe(calls);
  });
});
