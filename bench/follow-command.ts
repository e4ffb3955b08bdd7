import type { CommandAnswer, MigrationState, RouteClient, StatsAnswer } from "./route-client.ts";
import { now, sleep } from "./timing.ts";

const RUNNING: ReadonlySet<MigrationState> = new Set(["migration_running", "finalization_running"]);
const POLL_INTERVAL_MS = 20;

/** One command followed to its end. */
export interface CommandRun {
  /** From sending the command until an answer showed it ended, in ms. */
  wallMs: number;
  /** The `stats` answer that showed the end (its `output` is the command's whole output). */
  final: StatsAnswer;
  /** The latency of every `stats` request sent while it ran, in ms. */
  statsLatenciesMs: number[];
}

/** Thrown when a command ends in another state than the expected one. */
export class CommandFailed extends Error {
  override readonly name = "CommandFailed";
}

/**
 * Sends `cmd`, then polls `stats` every ~20 ms until the state leaves migration_running /
 * finalization_running; a command that does not end in `expected` throws with its output and exception.
 */
export async function followCommand(
  client: RouteClient,
  cmd: "migrate" | "finalize",
  expected: MigrationState,
  verbose = false,
): Promise<CommandRun> {
  const started = now();
  const answer: CommandAnswer = await client.command(cmd, verbose);
  const answered = now();
  const statsLatenciesMs: number[] = [];
  let final: StatsAnswer;
  let ended: number;
  for (;;) {
    const sent = now();
    final = await client.stats();
    const received = now();
    statsLatenciesMs.push(received - sent);
    if (!RUNNING.has(final.status)) {
      // When the command's own answer already showed the end, that is when it ended.
      ended = RUNNING.has(answer.status) ? received : answered;
      break;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  if (final.status !== expected) {
    throw new CommandFailed(
      `${cmd} ended in ${final.status}, expected ${expected}\n` +
        `exception: ${final.exception ?? "(none)"}\noutput:\n${final.output ?? answer.output ?? "(none)"}`,
    );
  }
  return { wallMs: ended - started, final, statsLatenciesMs };
}
