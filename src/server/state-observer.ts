import type { CommandSummary, MigrationApi, Stats } from "../core/results.ts";
import { isFailedState, type MigrationState } from "../core/states.ts";
import type { Logger } from "./logger.ts";
import type { CommandOutcome } from "./metrics.ts";

/** What the state observer watches and where it reports. */
export interface StateObserverOptions {
  /** Polled for stats. */
  api: MigrationApi;
  /** Gets one line per state change and per ended command. */
  logger: Logger;
  /** Told about each command this process sees end. */
  onCommandEnd?: (command: string, outcome: CommandOutcome, seconds: number) => void;
  /** True for a runner whose commands this process reports from their own end (its leases): their end is left alone here. */
  reportsOwnEnd?: (runner: string) => boolean;
  /** Removes secrets from an error text before it is logged; default unchanged. */
  redact?: (text: string) => string;
  /** Poll interval; default 1000 ms. */
  intervalMs?: number;
}

/** A started observer. */
export interface StateObserver {
  /** Stops polling and waits for a poll in flight, so the store can be closed after it. */
  stop(): Promise<void>;
  /** Polls once now (tests use it instead of waiting for the timer). */
  poll(): Promise<void>;
}

/**
 * Polls stats (every second by default, on an unref'd timer) and reports what changed since the last
 * poll: a log line `state changed` {from, to, command, runner} per change of the service state (the
 * first poll reports the state found, from null), and for a command that ended — on any replica — a
 * line `command ended` plus onCommandEnd with its duration and outcome, unless `reportsOwnEnd` claims its
 * runner (this replica's commands are reported from the manager's own events: a poll would miss one that
 * starts and ends between two polls). A command that ended before the first poll is not reported. Stats
 * errors are logged as warnings once until stats answers again.
 */
export function startStateObserver(options: StateObserverOptions): StateObserver {
  const { api, logger } = options;
  let first = true;
  let state: MigrationState | null = null;
  let reportedEnd: string | null = null;
  let failing = false;
  let inFlight: Promise<void> | null = null;

  const observe = (stats: Stats) => {
    const command = stats.command;
    if (stats.status !== state) {
      logger.info({ msg: "state changed", from: state, to: stats.status, command: command?.name ?? null, runner: command?.runner ?? null });
      state = stats.status;
    }
    const ended = command && !command.running && command.endedAt !== null ? commandKey(command) : null;
    const elsewhere = command?.runner != null && (options.reportsOwnEnd?.(command.runner) ?? false);
    if (ended !== null && ended !== reportedEnd && !first && !elsewhere) {
      const outcome: CommandOutcome = isFailedState(stats.status) ? "failed" : "success";
      const seconds = Math.max(0, (command!.endedAt! - (command!.startedAt ?? command!.endedAt!)) / 1000);
      logCommandEnd(logger, { command: command!.name, outcome, seconds, runner: command!.runner, status: stats.status });
      options.onCommandEnd?.(command!.name, outcome, seconds);
    }
    if (ended !== null) reportedEnd = ended;
    first = false;
  };

  const poll = (): Promise<void> => {
    inFlight ??= api
      .stats()
      .then((stats) => {
        failing = false;
        observe(stats);
      })
      .catch((error: unknown) => {
        const text = error instanceof Error ? error.message || error.name : String(error);
        if (!failing) logger.warn({ msg: "state observer: stats failed", err: (options.redact ?? String)(text) });
        failing = true;
      })
      .finally(() => (inFlight = null));
    return inFlight;
  };

  const timer = setInterval(() => void poll(), options.intervalMs ?? 1000);
  timer.unref();
  void poll();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
    poll,
  };
}

/** The end of a command as the log and the metrics take it. */
export interface CommandEnd {
  /** The command's name. */
  command: string;
  /** How it ended. */
  outcome: CommandOutcome;
  /** Its duration. */
  seconds: number;
  /** Its lease. */
  runner: string | null;
  /** The service state it left; null when unknown. */
  status: MigrationState | null;
}

/** The one `command ended` log line, whoever saw the end (the manager for this replica's commands, the observer for others'). */
export function logCommandEnd(logger: Logger, end: CommandEnd): void {
  logger.info({ msg: "command ended", command: end.command, outcome: end.outcome, duration_s: end.seconds, runner: end.runner, status: end.status });
}

/** Identifies one run of a command: its name and start time. */
function commandKey(command: CommandSummary): string {
  return `${command.name}@${command.startedAt ?? "?"}`;
}
