import type { RunCommand } from "../core/commands.ts";
import { isFailedState, MigrationState } from "../core/states.ts";
import type { ClientOptions } from "./client-options.ts";
import { ExitCode } from "./exit-codes.ts";
import { followCommand } from "./follow-command.ts";
import { statusLine } from "./format-stats.ts";
import type { MigrationClient } from "./migration-client.ts";
import { commandView, statsView, type StatsView } from "./stats-view.ts";
import type { Terminal } from "./terminal.ts";

/** True when `command` in `state` answers without starting anything (CONTRACT §3), so the old output is not news. */
function nothingToDo(command: RunCommand, state: MigrationState): boolean {
  if (state === MigrationState.FINALIZED) return true;
  return command === "migrate" && state === MigrationState.FINALIZATION_REQUIRED;
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
  const idle = nothingToDo(command, before.status);
  const request = { verbose: options.verbose };
  const response = commandView(
    command === "migrate" ? await client.migrate(request) : command === "finalize" ? await client.finalize(request) : await client.reset(request),
  );
  if (idle) {
    terminal.out(`Nothing to ${command}. ${statusLine({ ...before, status: response.status })}`);
    return ExitCode.OK;
  }
  const final = await followCommand(client, response, terminal, { command, showOutput: command !== "reset" });
  return reportEnd(final, terminal);
}

/** Prints the final status line (and the exception of a failed command); exit 0, or 1 when it failed. */
export function reportEnd(final: StatsView, terminal: Terminal): ExitCode {
  terminal.out(statusLine(final));
  if (isFailedState(final.status)) {
    terminal.err(`Exception: ${final.exception ?? "(none reported)"}`);
    return ExitCode.FAILED;
  }
  return ExitCode.OK;
}
