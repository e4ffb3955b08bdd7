import type { CommandEvent } from "./command-events.ts";
import type { CommandRecord, Snapshot, StateStore } from "./state-store.ts";
import { isThrottleCommand, type ExecuteCommand, type RunCommand } from "./commands.ts";
import { planCommand } from "./command-plan.ts";
import { commandSummary } from "./command-summary.ts";
import { migrationList } from "./migration-list.ts";
import { buildPlan, measuredRate, type Plan, type SurveyMigrations } from "./plan.ts";
import { ConflictError } from "./errors.ts";
import { runningMessage } from "./conflict-messages.ts";
import { claimChanges, shadowChain } from "./claim-changes.ts";
import { ReplayRates } from "./replay-rates.ts";
import { planTableWrites, tableWrites } from "./table-writes.ts";
import { ReplicaRuns } from "./replica-runs.ts";
import { changeThrottle, throttleIn } from "./throttle-change.ts";
import { requestCancel } from "./cancel-request.ts";
import type { CommandOptions, CommandResult, MigrationApi, Stats } from "./results.ts";
import { deriveView, migrationsIn, type RegisteredMigration, type ServiceView } from "./service-view.ts";
import { MigrationState, isFailedState } from "./states.ts";

/**
 * Starts a claimed command in the worker pool under its lease; resolves with the exception the run ended
 * with (null on success) once it ended, rejects if the worker died or `signal` aborted it.
 */
export type StartRun = (command: RunCommand, verbose: boolean, lease: string, signal: AbortSignal) => Promise<string | null>;

/** How long stats reuses its count of the pending tables' rows, in ms. */
export const PENDING_COUNT_TTL_MS = 5_000;

/** How long a shutdown waits for the running command before it stops it, unless configured, in ms. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** How often a command decides and claims before a lost claim answers the running conflict. */
const CLAIM_ATTEMPTS = 5;

/** How long a running command may make no progress before `reset` may stop it, unless configured, in ms. */
export const DEFAULT_STALL_TIMEOUT_MS = 10 * 60_000;

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
  /** Looks at the pending migrations for `plan`, read-only, off the main thread. */
  survey: SurveyMigrations;
  /**
   * Replays the changes the application wrote to captured tables since migrate, on a worker, while no
   * command runs (finalization_required); resolves to the changes replayed. Absent: only commands replay.
   */
  startReplay?: () => Promise<number>;
  /** This process's replica id, `host:pid:random`; each command's lease is `<replicaId>.<n>`. */
  replicaId: string;
  /** How long a request waits for its command before answering; default 200 ms. */
  answerWaitMs?: number;
  /** How often the running command's heartbeat is written; default 2000 ms. */
  heartbeatMs?: number;
  /** How long a running command may go without output or progress before `reset` stops it; default DEFAULT_STALL_TIMEOUT_MS. */
  stallTimeoutMs?: number;
  /** The rows-per-second limit a migrate or finalize starts with unless its request sets one; 0 or absent: none. */
  maxRowsPerSecond?: number;
  /** Where warnings go. */
  logger: CoreLogger;
  /** Told when a command this replica claimed starts and when it has ended. */
  onCommand?: (event: CommandEvent) => void;
}

/** The application core: CONTRACT §3 over a store and a runner. Both faces call it. */
export class MigrationManager implements MigrationApi {
  private readonly runs: ReplicaRuns;
  private readonly finished = new Set<Promise<void>>();
  private pendingCount: { key: string; at: number; rows: Promise<number> } | null = null;
  private readonly replayRates = new ReplayRates();
  private replaying: Promise<void> | null = null;
  private readonly answerWaitMs: number;
  private readonly heartbeatMs: number;
  private readonly stallTimeoutMs: number;

  constructor(private readonly options: ManagerOptions) {
    this.runs = new ReplicaRuns(options.replicaId);
    this.answerWaitMs = options.answerWaitMs ?? 200;
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  }

  /** Start-up check: logs file-change warnings. Reading only: a dead command is the watchdog's business. */
  async recover(): Promise<void> {
    const snapshot = await this.options.store.snapshot();
    for (const warning of deriveView(this.options.registry, snapshot).warnings) this.options.logger.warn(warning);
  }

  /**
   * {@inheritDoc MigrationApi.execute}
   * The claim is a compare-and-set on the snapshot the decision was made on; a claim that loses decides
   * again on the state it lost to (a command running now: the 400; one that ended: usually nothing to do).
   */
  async execute(command: ExecuteCommand, verbose: boolean, options: CommandOptions = {}): Promise<CommandResult> {
    if (command === "progress") return this.answer();
    if (isThrottleCommand(command)) {
      await changeThrottle(this.options.store, command, options.maxRowsPerSecond);
      return this.whole();
    }
    if (command === "cancel") {
      await requestCancel(this.options.store, options.by ?? "unknown");
      return this.whole();
    }
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.options.store.snapshot();
      const view = deriveView(this.options.registry, snapshot);
      const decision = planCommand(command, {
        status: view.status,
        running: snapshot.command.running,
        stalled: this.stalledFor(snapshot.command) !== null,
        paused: snapshot.command.running && snapshot.command.paused,
        current: view.current,
        target: view.target,
        exception: snapshot.command.exception,
      });
      if (decision.action === "nothing") return this.answer();
      if (decision.action === "take-over") {
        await this.stopStalled(snapshot.command);
        continue;
      }
      const claimed = await this.claim(command, verbose, view, snapshot, options.maxRowsPerSecond ?? this.options.maxRowsPerSecond ?? 0);
      if (claimed !== null) {
        await this.waitBriefly(this.launch(command, verbose, claimed));
        return this.answer();
      }
      // Lost: usually to a command that runs now (the next decision says so). A claim that only met a
      // busy command row, with nothing running, tries again a few times before it gives up.
      if (attempt >= CLAIM_ATTEMPTS) throw new ConflictError(runningMessage(view.status === MigrationState.FINALIZATION_RUNNING));
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }

  /** {@inheritDoc MigrationApi.stats} Reads only: it answers while the store cannot be written. */
  async stats(): Promise<Stats> {
    const snapshot = await this.options.store.snapshot();
    const view = deriveView(this.options.registry, snapshot);
    return {
      ...commandResult(view, snapshot.command),
      currentMigrationIndex: view.current,
      targetMigrationIndex: view.target,
      migratableModels: await this.migratableModels(view, snapshot.command),
      warnings: view.warnings,
      tables: snapshot.command.tables,
      command: commandSummary(snapshot.command, Date.now()),
      writes: tableWrites(planTableWrites(shadowChain(view)), snapshot.guarded, this.replayRates.observe(Date.now(), new Map(snapshot.guarded.map((g) => [g.table, g.replayed])))),
      ...throttleIn(snapshot.command),
      migrations: migrationList(this.options.registry, snapshot.migrations),
    };
  }

  /**
   * {@inheritDoc MigrationApi.plan}
   * Pending are the migrations migrate would run: required, running (as they stand) or failed (after a reset).
   */
  async plan(): Promise<Plan> {
    const snapshot = await this.options.store.snapshot();
    const view = deriveView(this.options.registry, snapshot);
    const pending = migrationsIn(view, MigrationState.MIGRATION_REQUIRED, MigrationState.MIGRATION_RUNNING, MigrationState.MIGRATION_FAILED);
    const surveyed = pending.length === 0 ? [] : await this.options.survey(pending);
    return buildPlan(view.status, surveyed, planTableWrites(shadowChain(view)), measuredRate(snapshot.migrations));
  }

  /**
   * The one background loop of this replica, every `intervalMs` and once at once: ends the threads of its
   * own runs whose lease was taken, and reports a command whose runner is gone (on any replica) as
   * failed, lifting the write protection, even when no client asks. Returns a stop function.
   */
  startWatchdog(intervalMs = 2000): () => void {
    let checking = false;
    const check = () => {
      if (checking) return;
      checking = true;
      this.watch()
        .catch((error) => this.options.logger.warn(`watchdog check failed: ${error}`))
        .finally(() => (checking = false));
    };
    const timer = setInterval(check, intervalMs);
    timer.unref();
    setImmediate(check);
    return () => clearInterval(timer);
  }

  /** Resolves when the commands this replica runs have ended (immediately when none runs). */
  async idle(): Promise<void> {
    await Promise.all([...this.finished, this.replaying]);
  }

  /**
   * For a shutdown: waits up to `graceMs` for this replica's running command, then ends its thread and
   * records it failed with `reason`, so the process can exit within a bounded time.
   */
  async stop(graceMs: number, reason: string): Promise<void> {
    if (await settlesWithin(this.idle(), graceMs)) return;
    for (const lease of this.runs.active()) this.runs.abort(lease, reason);
    await this.idle();
  }

  private async watch(): Promise<void> {
    const snapshot = await this.options.store.snapshot();
    const { command } = snapshot;
    for (const lease of this.runs.reconcile(command)) this.options.logger.warn(`stopped the thread of command ${lease}: its lease was taken`);
    if (!command.running || command.owner === null) {
      this.replayBetweenCommands(snapshot);
      return;
    }
    if (this.runs.owns(command.owner)) {
      if (this.runs.alive(command.owner)) return;
      const unrecorded = this.runs.unrecorded(command.owner);
      await this.options.store.interruptCommand(
        command.owner,
        unrecorded ?? `The ${command.command ?? "migration"} command was interrupted: its runner (${command.owner}) ended without recording its end.`,
      );
      return;
    }
    if (await this.options.store.ownerAlive(command)) return;
    await this.options.store.interruptCommand(
      command.owner,
      `The ${command.command ?? "migration"} command was interrupted: its runner (${command.owner}) was lost before it finished.`,
    );
  }

  /**
   * While migrated tables wait for finalize, keeps their shadow copies close to what the application
   * writes, so finalize finds a short backlog. One replay at a time per replica; across replicas the
   * store orders the batches, and a command that starts makes the replay yield.
   */
  private replayBetweenCommands(snapshot: Snapshot): void {
    const start = this.options.startReplay;
    if (start === undefined || this.replaying !== null) return;
    if (deriveView(this.options.registry, snapshot).status !== MigrationState.FINALIZATION_REQUIRED) return;
    if (!snapshot.guarded.some((g) => g.mode === "captured" && g.backlog > 0)) return;
    this.replaying = start()
      .then(() => undefined, (error) => this.options.logger.warn(`replaying captured changes failed: ${describe(error)}`))
      .finally(() => (this.replaying = null));
  }

  /** Milliseconds the running command has gone without output or progress, when that is past the stall timeout; else null (always while paused: it waits for a resume, not hung). */
  private stalledFor(command: CommandRecord): number | null {
    if (!command.running || command.paused) return null;
    const since = command.progressAt ?? command.startedAt;
    const idle = since === null ? 0 : Date.now() - since;
    return idle >= this.stallTimeoutMs ? idle : null;
  }

  /** `reset` of a stalled or paused command: marks it failed (its run is fenced from now on) and ends its thread when it runs here. */
  private async stopStalled(command: CommandRecord): Promise<void> {
    if (command.owner === null) return;
    const reason = command.paused ? "by reset while it was paused" : `by reset: it made no progress for ${Math.round((this.stalledFor(command) ?? 0) / 1000)} s`;
    // Its thread first: a hung transform may hold what the interrupt has to wait for.
    this.runs.abort(command.owner, reason);
    await this.options.store.interruptCommand(command.owner, stoppedText(command.command ?? "migration", reason));
  }



  /** Claims `command` under a new lease; the lease and its abort signal, or null when the claim lost. */
  private async claim(
    command: RunCommand, verbose: boolean, view: ServiceView, snapshot: Snapshot, maxRowsPerSecond: number,
  ): Promise<{ lease: string; signal: AbortSignal } | null> {
    const pending = migrationsIn(view, MigrationState.MIGRATION_REQUIRED);
    const count = command === "reset" ? 0 : await this.options.store.countRows(tablesOf(pending));
    const taken = this.runs.take();
    try {
      const won = await this.options.store.claimCommand({
        command, owner: taken.lease, verbose, count, version: snapshot.command.version, maxRowsPerSecond, ...claimChanges(command, view),
      });
      if (!won) this.runs.drop(taken.lease);
      return won ? taken : null;
    } catch (error) {
      this.runs.drop(taken.lease);
      throw error;
    }
  }

  private launch(command: RunCommand, verbose: boolean, { lease, signal }: { lease: string; signal: AbortSignal }): Promise<void> {
    const heartbeat = setInterval(() => {
      this.options.store.heartbeat(lease).catch((error) => this.options.logger.warn(`heartbeat failed: ${error}`));
    }, this.heartbeatMs);
    heartbeat.unref();
    this.runs.launched(lease);
    const claimedAt = Date.now();
    let ended: string | null = null;
    this.options.onCommand?.({ kind: "started", command, lease });
    const run = this.options
      .startRun(command, verbose, lease, signal)
      .then(
        (exception) => {
          ended = exception;
          this.runs.ended(lease, exception);
        },
        async (error: unknown) => {
          // The worker died or was stopped without recording an end; make it visible to every replica.
          const exception = signal.aborted
            ? stoppedText(command, describe(signal.reason))
            : `The ${command} command was interrupted: its worker failed (${describe(error)}).`;
          ended = exception;
          this.runs.ended(lease, exception);
          await this.options.store.interruptCommand(lease, exception).catch((failure) => this.options.logger.warn(`recording the end failed: ${failure}`));
        },
      )
      .finally(async () => {
        clearInterval(heartbeat);
        await this.options.store.releaseRunLock(lease).catch((error) => this.options.logger.warn(`releasing the run lock failed: ${error}`));
        await this.reportEnd(command, lease, ended, (Date.now() - claimedAt) / 1000);
        this.finished.delete(run);
      });
    this.finished.add(run);
    return run;
  }

  /** Tells `onCommand` that the command of `lease` ended, with the state it left (read before the answer that waits for it). */
  private async reportEnd(command: RunCommand, lease: string, exception: string | null, seconds: number): Promise<void> {
    const onCommand = this.options.onCommand;
    if (onCommand === undefined) return;
    const status = await this.options.store.snapshot().then((snapshot) => deriveView(this.options.registry, snapshot).status, () => null);
    onCommand({ kind: "ended", command, lease, exception, seconds, status });
  }

  private async waitBriefly(run: Promise<void>): Promise<void> {
    await settlesWithin(run.catch(() => undefined), this.answerWaitMs);
  }

  /** The answer to `pause` / `resume` / `cancel`: the state now and the whole output, as stats has it; the legacy read cursor stays. */
  private async whole(): Promise<CommandResult> {
    const snapshot = await this.options.store.snapshot();
    return commandResult(deriveView(this.options.registry, snapshot), snapshot.command);
  }

  /** The answer to a command or `progress`: the state now and the output lines no earlier answer returned (moving the cursor). */
  private async answer(): Promise<CommandResult> {
    const snapshot = await this.options.store.snapshot();
    const output = await this.options.store.takeUnseenOutput();
    return { ...commandResult(deriveView(this.options.registry, snapshot), snapshot.command), output };
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

function tablesOf(migrations: readonly RegisteredMigration[]): string[] {
  // The store counts a table that several pending migrations list once: its rows land in one shadow copy.
  return migrations.flatMap((m) => m.tables);
}

function commandResult(view: ServiceView, command: CommandRecord): CommandResult {
  const result: CommandResult = { status: view.status, output: command.output };
  if (isFailedState(view.status)) result.exception = command.exception ?? "The command failed without an error text.";
  return result;
}

/** Whether `promise` settles within `ms`; the timer never outlives the answer. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The exception of a command stopped from outside its run; `reason` reads after "was stopped" (e.g. "by reset: …"). */
function stoppedText(command: string, reason: string): string {
  return `The ${command} command was stopped ${reason}.`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
