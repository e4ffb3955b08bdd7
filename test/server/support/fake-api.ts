import type { ExecuteCommand } from "../../../src/core/commands.ts";
import type { Plan } from "../../../src/core/plan.ts";
import type { CommandOptions, CommandResult, MigrationApi, Stats } from "../../../src/core/results.ts";

/** The commands the fake records, in call order. */
export type FakeCall = { command: ExecuteCommand; verbose: boolean; options?: CommandOptions } | { command: "stats" } | { command: "plan" };

/** An in-memory MigrationApi: answers what it is told, or throws what it is told, and records the calls. */
export class FakeApi implements MigrationApi {
  /** Every call received. */
  readonly calls: FakeCall[] = [];
  /** What execute() answers. */
  commandResult: CommandResult = { status: "finalization_required", output: "migration started\nmigration finished\n" };
  /** What stats() answers. */
  statsResult: Stats = { migrations: [],
    status: "finalization_required",
    output: "migration started\nmigration finished\n",
    currentMigrationIndex: 3,
    targetMigrationIndex: 5,
    migratableModels: { count: 120, migrated: 120 },
    warnings: [],
    tables: [],
    command: null,
    writes: [],
  };
  /** What plan() answers. */
  planResult: Plan = { status: "migration_required", migrations: [], estimatedSeconds: null, ready: true };
  /** When set, execute(), stats() and plan() throw it. */
  failWith: unknown = undefined;

  /** Records the call, then answers or throws. */
  async execute(command: ExecuteCommand, verbose: boolean, options: CommandOptions = {}): Promise<CommandResult> {
    this.calls.push({ command, verbose, ...(Object.keys(options).length > 0 && { options }) });
    if (this.failWith !== undefined) throw this.failWith;
    return { ...this.commandResult };
  }

  /** Records the call, then answers or throws. */
  async stats(): Promise<Stats> {
    this.calls.push({ command: "stats" });
    if (this.failWith !== undefined) throw this.failWith;
    return { ...this.statsResult };
  }

  /** Records the call, then answers or throws. */
  async plan(): Promise<Plan> {
    this.calls.push({ command: "plan" });
    if (this.failWith !== undefined) throw this.failWith;
    return structuredClone(this.planResult);
  }
}
