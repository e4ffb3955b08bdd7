import type { CommandRecord, MigrationRecord, Snapshot, StateStore } from "../stores/store.ts";
import type { RunCommand } from "./commands.ts";
import { planCommand } from "./command-plan.ts";
import { commandSummary } from "./command-summary.ts";
import { ConflictError } from "./errors.ts";
import { runningMessage } from "./conflict-messages.ts";
import type { CommandResult, MigrationApi, Stats } from "./results.ts";
import { deriveView, migrationsIn, type RegisteredMigration, type ServiceView } from "./service-view.ts";
import { MigrationState, isFailedState } from "./states.ts";

/** Starts a claimed command in the worker pool; resolves when it ended, rejects if the worker died. */
export type StartRun = (command: RunCommand, verbose: boolean, owner: string) => Promise<void>;

/** How long stats reuses its count of the pending tables' rows, in ms. */
export const PENDING_COUNT_TTL_MS = 5_000;

/** Minimal injected logger. */
export interface CoreLogger {
  /** Something an operator should know. */
  warn(message: string): void;
}

/** What the manager is built from; the composition root wires real parts in. */
export interface ManagerOptions {
  /** Persistent state shared by every replica. */
  store: StateStore;
  /** Registered migrations, ascending. */
  registry: readonly RegisteredMigration[];
  /** Runs a command in a worker. */
  startRun: StartRun;
  /** This process's replica id, `host:pid:random`. */
  replicaId: string;
  /** How long a request waits for its command before answering; default 200 ms. */
  answerWaitMs?: number;
  /** How often the running command's heartbeat is written; default 2000 ms. */
  heartbeatMs?: number;
  /** Where warnings go. */
  logger: CoreLogger;
}

/** The application core: CONTRACT §3 over a store and a runner. Both faces call it. */
export class MigrationManager implements MigrationApi {
  private activeRun: Promise<void> | null = null;
  private pendingCount: { key: string; at: number; rows: Promise<number> } | null = null;
  private readonly answerWaitMs: number;
  private readonly heartbeatMs: number;

  constructor(private readonly options: ManagerOptions) {
    this.answerWaitMs = options.answerWaitMs ?? 200;
    this.heartbeatMs = options.heartbeatMs ?? 2000;
  }

  /** Start-up check: reports a command whose runner died as interrupted, and logs file-change warnings. */
  async recover(): Promise<void> {
    const snapshot = await this.freshSnapshot();
    for (const warning of deriveView(this.options.registry, snapshot).warnings) this.options.logger.warn(warning);
  }

  /** {@inheritDoc MigrationApi.execute} */
  async execute(command: RunCommand | "progress", verbose: boolean): Promise<CommandResult> {
    if (command === "progress") return this.progress();
    const snapshot = await this.freshSnapshot();
    const view = deriveView(this.options.registry, snapshot);
    const decision = planCommand(command, {
      status: view.status,
      running: snapshot.command.running,
      current: view.current,
      target: view.target,
      exception: snapshot.command.exception,
    });
    if (decision.action === "nothing") return commandResult(view, snapshot.command);
    await this.claim(command, verbose, view);
    await this.waitBriefly(this.launch(command, verbose));
    return this.currentResult();
  }

  /** {@inheritDoc MigrationApi.stats} */
  async stats(): Promise<Stats> {
    const snapshot = await this.freshSnapshot();
    const view = deriveView(this.options.registry, snapshot);
    return {
      ...commandResult(view, snapshot.command),
      currentMigrationIndex: view.current,
      targetMigrationIndex: view.target,
      migratableModels: await this.migratableModels(view, snapshot.command),
      warnings: view.warnings,
      tables: snapshot.command.tables,
      command: commandSummary(snapshot.command, Date.now()),
    };
  }

  /**
   * Looks every `intervalMs` for a command whose runner died (on any replica) and reports it as
   * interrupted, lifting the write protection, even when no client asks. Returns a stop function.
   */
  startWatchdog(intervalMs = 2000): () => void {
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      this.freshSnapshot()
        .catch((error) => this.options.logger.warn(`watchdog check failed: ${error}`))
        .finally(() => (checking = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Resolves when the command this replica runs has ended (immediately when none runs). */
  async idle(): Promise<void> {
    await this.activeRun?.catch(() => undefined);
  }

  private async progress(): Promise<CommandResult> {
    const snapshot = await this.freshSnapshot();
    const view = deriveView(this.options.registry, snapshot);
    const unseen = await this.options.store.takeUnseenOutput();
    const result = commandResult(view, snapshot.command);
    if (unseen) result.output = unseen;
    else delete result.output;
    return result;
  }

  private async claim(command: RunCommand, verbose: boolean, view: ServiceView): Promise<void> {
    const records = claimRecords(command, view);
    const pending = migrationsIn(view, MigrationState.MIGRATION_REQUIRED);
    const count = command === "reset" ? 0 : await this.options.store.countRows(tablesOf(pending));
    const won = await this.options.store.claimCommand({
      command, owner: this.options.replicaId, verbose, migrations: records, count,
    });
    if (!won) {
      const status = deriveView(this.options.registry, await this.options.store.snapshot()).status;
      throw new ConflictError(runningMessage(status === MigrationState.FINALIZATION_RUNNING));
    }
  }

  private launch(command: RunCommand, verbose: boolean): Promise<void> {
    const owner = this.options.replicaId;
    const heartbeat = setInterval(() => {
      this.options.store.heartbeat(owner).catch((error) => this.options.logger.warn(`heartbeat failed: ${error}`));
    }, this.heartbeatMs);
    heartbeat.unref();
    const run = this.options
      .startRun(command, verbose, owner)
      .catch(async (error: unknown) => {
        // The worker died without recording an end; make the failure visible to every replica.
        await this.options.store.interruptCommand(owner, `The ${command} command was interrupted: its worker failed (${describe(error)}).`);
      })
      .finally(async () => {
        clearInterval(heartbeat);
        await this.options.store.releaseRunLock(owner).catch((error) => this.options.logger.warn(`releasing the run lock failed: ${error}`));
        if (this.activeRun === run) this.activeRun = null;
      });
    this.activeRun = run;
    return run;
  }

  private async waitBriefly(run: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.answerWaitMs)));
    await Promise.race([run.catch(() => undefined), wait]);
    clearTimeout(timer);
  }

  private async currentResult(): Promise<CommandResult> {
    const snapshot = await this.options.store.snapshot();
    return commandResult(deriveView(this.options.registry, snapshot), snapshot.command);
  }

  /** Reads a snapshot, first reporting a running command whose runner is gone as interrupted. */
  private async freshSnapshot(): Promise<Snapshot> {
    const snapshot = await this.options.store.snapshot();
    const command = snapshot.command;
    if (!command.running || !command.owner) return snapshot;
    const alive = command.owner === this.options.replicaId ? this.activeRun !== null : await this.options.store.ownerAlive(command);
    if (alive) return snapshot;
    await this.options.store.interruptCommand(
      command.owner,
      `The ${command.command ?? "migration"} command was interrupted: its runner (${command.owner}) was lost before it finished.`,
    );
    return this.options.store.snapshot();
  }

  /**
   * Rows of the pending tables, counted at most once per PENDING_COUNT_TTL_MS: stats is polled (by the
   * metrics observer, /ready, scrapers, CLI), and a COUNT over large tables per poll would load the
   * database for nothing. A claim always counts afresh.
   */
  private pendingRows(tables: string[]): Promise<number> {
    const key = JSON.stringify(tables);
    const now = Date.now();
    const cached = this.pendingCount;
    if (cached !== null && cached.key === key && now - cached.at < PENDING_COUNT_TTL_MS) return cached.rows;
    const rows = this.options.store.countRows(tables);
    this.pendingCount = { key, at: now, rows };
    rows.catch(() => {
      if (this.pendingCount?.rows === rows) this.pendingCount = null;
    });
    return rows;
  }

  private async migratableModels(view: ServiceView, command: CommandRecord): Promise<Stats["migratableModels"]> {
    if (view.status === MigrationState.FINALIZED) return { count: 0, migrated: 0 };
    if (view.status === MigrationState.MIGRATION_REQUIRED && !command.running) {
      return { count: await this.pendingRows(tablesOf(migrationsIn(view, MigrationState.MIGRATION_REQUIRED))), migrated: 0 };
    }
    return { count: command.count, migrated: Math.min(command.migrated, command.count) };
  }
}

/** The records a claim moves: migrate/finalize from migration_required → running; finalize from finalization_required → finalization_running. */
function claimRecords(command: RunCommand, view: ServiceView): MigrationRecord[] {
  if (command === "reset") return [];
  const pending = migrationsIn(view, MigrationState.MIGRATION_REQUIRED);
  if (pending.length > 0) return pending.map((m) => record(m, MigrationState.MIGRATION_RUNNING));
  return migrationsIn(view, MigrationState.FINALIZATION_REQUIRED).map((m) => record(m, MigrationState.FINALIZATION_RUNNING));
}

function record(migration: RegisteredMigration, state: MigrationState): MigrationRecord {
  return { index: migration.index, name: migration.name, checksum: migration.checksum, state };
}

function tablesOf(migrations: readonly RegisteredMigration[]): string[] {
  // Not deduplicated: a table that two pending migrations touch moves through the shadow twice.
  return migrations.flatMap((m) => m.tables);
}

function commandResult(view: ServiceView, command: CommandRecord): CommandResult {
  const result: CommandResult = { status: view.status };
  if (command.output) result.output = command.output;
  if (isFailedState(view.status)) result.exception = command.exception ?? "The command failed without an error text.";
  return result;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
