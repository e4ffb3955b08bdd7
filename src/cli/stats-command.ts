import type { ClientOptions } from "./client-options.ts";
import { ExitCode } from "./exit-codes.ts";
import { formatStats } from "./format-stats.ts";
import type { MigrationClient } from "./migration-client.ts";
import { statsView } from "./stats-view.ts";
import type { Terminal } from "./terminal.ts";

/** `migrations stats`: a readable summary, or with `--json` the route's `stats` object. Always exit 0 once answered. */
export async function statsCommand(client: MigrationClient, options: ClientOptions, terminal: Terminal): Promise<ExitCode> {
  const view = statsView(await client.stats({}));
  if (options.json) terminal.out(JSON.stringify(view, null, 2));
  else for (const line of formatStats(view)) terminal.out(line);
  return ExitCode.OK;
}
