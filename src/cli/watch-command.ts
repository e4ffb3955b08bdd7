import type { RunCommand } from "../core/commands.ts";
import { isRunningState } from "../core/states.ts";
import { ExitCode } from "./exit-codes.ts";
import { followCommand } from "./follow-command.ts";
import type { MigrationClient } from "./migration-client.ts";
import { reportEnd } from "./run-command.ts";
import { statsView } from "./stats-view.ts";
import type { Terminal } from "./terminal.ts";

/**
 * `migrations watch`: follows the command that runs now, whoever started it (a deploy job, another
 * operator, a legacy client), with its output so far, new lines as they come and a progress bar on a
 * TTY, until it ends. Exit 0, or 1 when it ended failed; with nothing running it prints the status and exits 0.
 */
export async function watchCommand(client: MigrationClient, terminal: Terminal): Promise<ExitCode> {
  const now = statsView(await client.stats({}));
  if (!isRunningState(now.status)) return reportEnd(now, terminal);
  const command = (now.command?.name ?? "migrate") as RunCommand;
  const final = await followCommand(client, now, terminal, { command, showOutput: command !== "reset" });
  return reportEnd(final, terminal, command);
}
