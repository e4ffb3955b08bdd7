import { planCommand } from "../core/command-plan.ts";
import type { RunCommand } from "../core/commands.ts";
import { isFailedState, isRunningState, MigrationState } from "../core/states.ts";
import type { ClientOptions } from "./client-options.ts";
import { ExitCode } from "./exit-codes.ts";
import { followCommand } from "./follow-command.ts";
import { statusLine } from "./format-stats.ts";
import type { MigrationClient } from "./migration-client.ts";
import { commandView, statsView, type StatsView } from "./stats-view.ts";
import type { Terminal } from "./terminal.ts";

/** What the CLI sends with a run command (reset takes no limit). */
interface RunRequest {
  verbose: boolean;
  maxRowsPerSecond?: number;
}

/** How each run command is sent; a new one is a compile error here until it is added. */
const SEND = {
  migrate: (client, request) => client.migrate(request),
  finalize: (client, request) => client.finalize(request),
  reset: (client, { verbose }) => client.reset({ verbose }),
} satisfies Record<RunCommand, (client: MigrationClient, request: RunRequest) => Promise<Parameters<typeof commandView>[0]>>;

/** True when `command` in the state `before` shows answers without starting anything (the core's table, CONTRACT §3), so the old output is not news. */
function nothingToDo(command: RunCommand, before: StatsView): boolean {
  try {
    const running = isRunningState(before.status);
    const paused = before.throttle?.paused === true;
    const input = { status: before.status, running, stalled: false, paused, current: before.current_migration_index, target: before.target_migration_index };
    return planCommand(command, { ...input, exception: before.exception ?? null }).action === "nothing";
  } catch {
    // A conflict: the service answers it, and the caller reports that.
    return false;
  }
}

/**
 * `migrations migrate|finalize|reset`: starts the command, follows it until it ends (output lines as they
 * arrive; reset prints only the state), prints the final status line. Exit 0, or 1 when it ended failed;
 * client errors propagate for the caller to map to 2 or 3.
 */
export async function runCommand(
  command: RunCommand,
  client: MigrationClient,
  options: ClientOptions,
  terminal: Terminal,
): Promise<ExitCode> {
  const before = statsView(await client.stats({}));
  const idle = nothingToDo(command, before);
  const limit = options.maxRowsPerSecond === undefined ? {} : { maxRowsPerSecond: options.maxRowsPerSecond };
  const response = commandView(await SEND[command](client, { verbose: options.verbose, ...limit }));
  if (idle) {
    terminal.out(`Nothing to ${command}. ${statusLine({ ...before, status: response.status })}`);
    return ExitCode.OK;
  }
  const final = await followCommand(client, response, terminal, { command, showOutput: command !== "reset", verbose: options.verbose });
  return reportEnd(final, terminal, command);
}

/**
 * Prints the final status line (and the exception of a failed command); exit 0, or 1 when it failed or when
 * the `followed` finalize ended without finalizing (it could not get its locks; its output says why).
 */
export function reportEnd(final: StatsView, terminal: Terminal, followed?: RunCommand): ExitCode {
  terminal.out(statusLine(final));
  if (isFailedState(final.status)) {
    terminal.err(`Exception: ${final.exception ?? "(none reported)"}`);
    return ExitCode.FAILED;
  }
  if (followed === "finalize" && final.status === MigrationState.FINALIZATION_REQUIRED) {
    terminal.err("Not finalized: the finalize ended without swapping the tables (the output above says why); nothing was lost, run `migrations finalize` again.");
    return ExitCode.FAILED;
  }
  return ExitCode.OK;
}
