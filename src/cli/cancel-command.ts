import { hostname, userInfo } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClientOptions } from "./client-options.ts";
import { ExitCode } from "./exit-codes.ts";
import { outputLines, statusLine } from "./format-stats.ts";
import type { MigrationClient } from "./migration-client.ts";
import { commandView, statsView, type StatsView } from "./stats-view.ts";
import type { Terminal } from "./terminal.ts";

/** How long `migrations cancel` waits for the command to stop, in ms. */
export const CANCEL_WAIT_MS = 60_000;

/** How often it looks whether the command stopped, in ms. */
const POLL_MS = 250;

/** `$USER@hostname`: who a CLI cancel names unless `--by` says otherwise. */
export function defaultCanceller(env: NodeJS.ProcessEnv): string {
  return `${env.USER || env.USERNAME || userName()}@${hostname()}`;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

/**
 * `migrations cancel [--by NAME]`: records the cancel for the running migrate or finalize (on whichever
 * replica runs it), then waits until the command has stopped (at most `waitMs`) and prints the state it
 * reached and its exception. Exit 0 once it stopped, 1 when it has not stopped in time; a refusal (nothing
 * runs, a reset, a finalize that is swapping) propagates for the caller to map to 2.
 */
export async function cancelCommand(
  client: MigrationClient, options: ClientOptions, env: NodeJS.ProcessEnv, terminal: Terminal, waitMs = CANCEL_WAIT_MS,
): Promise<ExitCode> {
  const by = options.by ?? defaultCanceller(env);
  const recorded = commandView(await client.cancel({ by }));
  terminal.out(`Cancel recorded (by ${by}): the running command stops at its next key range or step. Status: ${recorded.status}`);
  const stopped = await untilStopped(client, waitMs);
  if (stopped === null) {
    terminal.err(`It has not stopped within ${Math.round(waitMs / 1000)} s: a single long statement runs to its end first. Follow it with: migrations watch`);
    return ExitCode.FAILED;
  }
  terminal.out(`Stopped. ${statusLine(stopped)}`);
  if (stopped.exception !== undefined) {
    terminal.out(`Exception: ${stopped.exception}`);
  } else {
    // A finalize cancelled before its swap is back to finalization_required; its output says so.
    const line = outputLines(stopped.output).filter((text) => text.includes("cancelled by")).at(-1);
    terminal.out(line ?? "The command had ended before the cancel reached it.");
  }
  return ExitCode.OK;
}

/** The stats once the command row no longer runs, or null when `waitMs` passed first. */
async function untilStopped(client: MigrationClient, waitMs: number): Promise<StatsView | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const view = statsView(await client.stats({}));
    if (view.command?.running !== true) return view;
    if (Date.now() >= deadline) return null;
    await sleep(POLL_MS);
  }
}
