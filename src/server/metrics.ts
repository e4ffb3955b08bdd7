import { RUN_COMMANDS } from "../core/commands.ts";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MigrationInfo } from "../core/migration-list.ts";
import type { Stats } from "../core/results.ts";
import { ALL_STATES } from "../core/states.ts";
import type { RequestEvent } from "./request-tracker.ts";

/** How a command ended, as this process saw it. */
export type CommandOutcome = "success" | "failed";

/** The commands that run in the worker pool; their counters start at zero so every series exists from the start. */
const OUTCOMES: readonly CommandOutcome[] = ["success", "failed"];

/** Seconds: a reset takes milliseconds, a migration of a large table hours. */
const COMMAND_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600];
/** Seconds: stats answers in milliseconds, a run command waits about 200 ms for its command. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus metrics of one service, in a registry of their own (never prom-client's global one,
 * so several services in one process do not mix). Gauges show the stats of the last scrape; counters
 * and histograms what this process saw. No label ever carries a secret: labels are states, command and
 * method names, faces, statuses and table names.
 */
export class ServiceMetrics {
  /** The registry `GET /metrics` renders. */
  readonly registry = new Registry();
  private readonly state = this.gauge("migrations_state", "1 for the current service state, 0 for the others.", ["state"]);
  private readonly currentIndex = this.gauge("migrations_current_index", "Highest finalized migration index (0 when none).");
  private readonly targetIndex = this.gauge("migrations_target_index", "Highest registered migration index (0 when none).");
  private readonly rowsCount = this.gauge("migrations_rows_count", "Rows the pending migrations move through their shadow copies.");
  private readonly rowsMigrated = this.gauge("migrations_rows_migrated", "Rows moved so far by the running or last command.");
  private readonly commandRunning = this.gauge("migrations_command_running", "1 while a command runs on any replica, else 0.");
  private readonly commandPaused = this.gauge("migrations_command_paused", "1 while the running migrate or finalize is paused (on any replica), else 0.");
  private readonly rowsLimit = this.gauge("migrations_max_rows_per_second", "The running migrate's or finalize's limit of rows per second (0: none, or none runs).");
  private readonly rowsPerSecond = this.gauge("migrations_rows_per_second", "Rows per second of the running or last command (0 when unknown).");
  private readonly tableCount = this.gauge("migrations_table_rows_count", "Rows a table of the running or last command has to move.", ["table"]);
  private readonly tableMigrated = this.gauge("migrations_table_rows_migrated", "Rows of a table of the running or last command moved so far.", ["table"]);
  private readonly replayBacklog = this.gauge("migrations_replay_backlog", "Changes the application wrote to a table of the pending migrations that are not in its shadow copy yet.", ["table"]);
  private readonly tableCaptured = this.gauge("migrations_table_captured", "1 when the application keeps writing a table of the pending migrations (captured), 0 when its writes are refused until finalize (protected).", ["table"]);
  private readonly lockWindow = this.gauge(
    "migrations_finalize_lock_window_seconds",
    "How long the most recent finalize held the locks, from its first lock request to its COMMIT's return (0 before any, or when not recorded).",
  );
  private readonly databaseUp = this.gauge("migrations_database_up", "1 when the database answered the stats of this scrape, else 0 (the other gauges then keep their last values).");
  private readonly commandDuration = new Histogram({
    name: "migrations_command_duration_seconds",
    help: "Duration of the commands counted in migrations_commands_total, from their start to their end.",
    labelNames: ["command", "outcome"] as const,
    buckets: COMMAND_BUCKETS,
    registers: [this.registry],
  });
  private readonly commands = new Counter({
    name: "migrations_commands_total",
    help: "Commands this process ran, and other replicas' commands it saw end, by command and outcome.",
    labelNames: ["command", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: "migrations_requests_total",
    help: "Requests answered, by face (json, connect, grpc, grpc-web, ops), command and status (HTTP status or Connect code).",
    labelNames: ["face", "command", "status"] as const,
    registers: [this.registry],
  });
  private readonly requestDuration = new Histogram({
    name: "migrations_request_duration_seconds",
    help: "Time from a request's arrival to its last byte, by face, command and status.",
    labelNames: ["face", "command", "status"] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  /** Builds the metrics; `defaultMetrics` (default true) adds prom-client's process and Node.js metrics. */
  constructor(options: { defaultMetrics?: boolean } = {}) {
    for (const command of RUN_COMMANDS) {
      for (const outcome of OUTCOMES) {
        this.commands.labels({ command, outcome }).inc(0);
      }
    }
    for (const state of ALL_STATES) this.state.labels({ state }).set(0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts an ended request and its duration. */
  observeRequest(event: RequestEvent): void {
    const labels = { face: event.face, command: event.command, status: event.status };
    this.requests.labels(labels).inc();
    this.requestDuration.labels(labels).observe(event.durationMs / 1000);
  }

  /** Counts a command that ended (this replica's from the manager, others' from the observer) and observes its duration. */
  observeCommandEnd(command: string, outcome: CommandOutcome, seconds: number): void {
    this.commands.labels({ command, outcome }).inc();
    this.commandDuration.labels({ command, outcome }).observe(seconds);
  }

  /** Fills the gauges from `stats`; null when the database did not answer (only `migrations_database_up` changes). */
  update(stats: Stats | null): void {
    this.databaseUp.set(stats ? 1 : 0);
    if (!stats) return;
    for (const state of ALL_STATES) this.state.labels({ state }).set(state === stats.status ? 1 : 0);
    this.currentIndex.set(stats.currentMigrationIndex);
    this.targetIndex.set(stats.targetMigrationIndex);
    this.rowsCount.set(stats.migratableModels.count);
    this.rowsMigrated.set(stats.migratableModels.migrated);
    this.commandRunning.set(stats.command?.running ? 1 : 0);
    this.commandPaused.set(stats.throttle?.paused ? 1 : 0);
    this.rowsLimit.set(stats.throttle?.maxRowsPerSecond ?? 0);
    this.rowsPerSecond.set(stats.command?.rowsPerSecond ?? 0);
    this.lockWindow.set(lastLockWindowMs(stats.migrations) / 1000);
    this.tableCount.reset();
    this.tableMigrated.reset();
    for (const table of stats.tables ?? []) {
      this.tableCount.labels({ table: table.table }).set(table.count);
      this.tableMigrated.labels({ table: table.table }).set(table.migrated);
    }
    this.replayBacklog.reset();
    this.tableCaptured.reset();
    for (const writes of stats.writes) {
      this.replayBacklog.labels({ table: writes.table }).set(writes.backlog);
      this.tableCaptured.labels({ table: writes.table }).set(writes.mode === "captured" ? 1 : 0);
    }
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of render()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }
}

/** The lock window of the migrations finalized last (one finalize records it on each of its migrations), or 0. */
function lastLockWindowMs(migrations: readonly MigrationInfo[]): number {
  let last: MigrationInfo | null = null;
  for (const m of migrations) {
    if (m.finalizedAt !== null && (last === null || m.finalizedAt > last.finalizedAt!)) last = m;
  }
  return last?.lockWindowMs ?? 0;
}
