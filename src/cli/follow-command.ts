import { setTimeout as sleep } from "node:timers/promises";
import type { RunCommand } from "../core/commands.ts";
import { isRunningState, MigrationState } from "../core/states.ts";
import type { MigrationClient } from "./migration-client.ts";
import { OutputFollower } from "./output-follower.ts";
import { ProgressBar } from "./progress-bar.ts";
import { statsView, type CommandView, type StatsView } from "./stats-view.ts";
import type { Terminal } from "./terminal.ts";

/** The last line of a finalize that succeeded, after which its lock window line is put. */
const FINISHED_LINE = "finalization finished\n";

/** How a command is followed. */
export interface FollowOptions {
  /** The command that was started; `finalize` waits out a passing `finalization_required` between its two phases. */
  command: RunCommand;
  /** Print the output lines as they arrive; default true. */
  showOutput?: boolean;
  /** How long `finalize` accepts `finalization_required` as its end state before stopping; default 2000 ms. */
  settleMs?: number;
  /** The command runs verbose: a finalize then also waits for its last line, the lock window; default false. */
  verbose?: boolean;
}

/** True when the followed command can be taken as ended in `state`, given since when that state was seen. */
function ended(command: RunCommand, state: MigrationState, stableMs: number, settleMs: number): boolean {
  if (isRunningState(state)) return false;
  // finalize from migration_required migrates first; between its phases the state may read finalization_required.
  if (command === "finalize" && state === MigrationState.FINALIZATION_REQUIRED) return stableMs >= settleMs;
  return true;
}

/**
 * How long a followed verbose finalize, once finalized, waits for its lock window line, in ms: the line is
 * written once the store's swap returned, after its post-COMMIT work (PostgreSQL validates foreign keys).
 */
const LOCK_WINDOW_WAIT_MS = 10_000;

/** True while a finalized verbose finalize's output lacks its lock window line, written just after the swap's COMMIT. */
function awaitsLockWindow(view: StatsView): boolean {
  return view.status === MigrationState.FINALIZED && !(view.output ?? "").includes("\nfinalization: lock window ");
}

/** The stats once `awaitsLockWindow` no longer holds, or after LOCK_WINDOW_WAIT_MS (a failed write only loses the line). */
async function withLockWindow(client: MigrationClient, view: StatsView): Promise<StatsView> {
  const deadline = Date.now() + LOCK_WINDOW_WAIT_MS;
  while (awaitsLockWindow(view) && Date.now() < deadline) {
    await sleep(50);
    view = statsView(await client.stats({}));
  }
  return view;
}

/** The next stream message, or "timeout" after `waitMs` (no limit when undefined). */
async function nextWithin<T>(stream: AsyncIterator<T>, waitMs: number | undefined): Promise<IteratorResult<T> | "timeout"> {
  const next = stream.next();
  if (waitMs === undefined) return next;
  // A message that loses the race is dropped with the stream; its rejection on abort is expected.
  next.catch(() => {});
  const timer = sleep(waitMs, "timeout" as const, { ref: false });
  return Promise.race([next, timer]);
}

/**
 * Follows a started command through the WatchStats stream until its state is no longer running,
 * printing new output lines (and a progress bar on a TTY) as they arrive. Returns the last stats.
 * Client errors propagate.
 */
export async function followCommand(
  client: MigrationClient,
  first: CommandView,
  terminal: Terminal,
  options: FollowOptions,
): Promise<StatsView> {
  const { command, showOutput = true, settleMs = 2000, verbose = false } = options;
  const waitsForLockWindow = command === "finalize" && verbose;
  const follower = new OutputFollower(terminal, showOutput, waitsForLockWindow ? FINISHED_LINE : undefined);
  const bar = new ProgressBar(terminal.columns);
  let state = first.status;
  let since = Date.now();
  let view: StatsView | null = null;
  if (!ended(command, state, 0, settleMs)) {
    const controller = new AbortController();
    const stream = client.watchStats({}, { signal: controller.signal })[Symbol.asyncIterator]();
    try {
      while (!ended(command, state, Date.now() - since, settleMs)) {
        const settling = !isRunningState(state);
        const next = await nextWithin(stream, settling ? Math.max(0, settleMs - (Date.now() - since)) : undefined);
        if (next === "timeout") break;
        if (next.done) break;
        view = statsView(next.value.stats!);
        if (view.status !== state) since = Date.now();
        state = view.status;
        follower.update(view.output);
        const { count, migrated } = view.migratable_models;
        follower.drawBar(isRunningState(state) ? bar.render(count, migrated, Date.now(), view.command?.eta_seconds ?? null) : "");
      }
    } finally {
      controller.abort();
    }
  }
  view ??= statsView(await client.stats({}));
  if (waitsForLockWindow) view = await withLockWindow(client, view);
  follower.finish(view.output);
  return view;
}
