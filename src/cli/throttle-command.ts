import type { ThrottleCommand } from "../core/commands.ts";
import type { ClientOptions } from "./client-options.ts";
import { ExitCode } from "./exit-codes.ts";
import { formatCount } from "./format-stats.ts";
import type { MigrationClient } from "./migration-client.ts";
import { commandView } from "./stats-view.ts";
import type { Terminal } from "./terminal.ts";

/**
 * `migrations pause` / `migrations resume [--max-rows-per-second N]`: records the change for the running
 * migrate or finalize (on whichever replica runs it) and prints what it means. Exit 0; a refusal (nothing
 * runs) propagates for the caller to map to 2.
 */
export async function throttleCommand(command: ThrottleCommand, client: MigrationClient, options: ClientOptions, terminal: Terminal): Promise<ExitCode> {
  const limit = options.maxRowsPerSecond;
  if (command === "pause") {
    const view = commandView(await client.pause({}));
    terminal.out(`Pause recorded: the running command holds at its next key range or step; its output then says "paused". Status: ${view.status}`);
    return ExitCode.OK;
  }
  const view = commandView(await client.resume(limit === undefined ? {} : { maxRowsPerSecond: limit }));
  const rate = limit === undefined ? "" : limit === 0 ? ", without a limit of rows per second" : `, at most ${formatCount(limit)} rows per second`;
  terminal.out(`Resumed${rate}. Status: ${view.status}`);
  return ExitCode.OK;
}
