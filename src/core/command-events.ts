import type { RunCommand } from "./commands.ts";
import type { MigrationState } from "./states.ts";

/** A command this replica claimed began to run under `lease`. */
export interface CommandStarted {
  kind: "started";
  /** The command. */
  command: RunCommand;
  /** Its lease, `host:pid:replica.N` (the runner stats shows). */
  lease: string;
}

/** A command this replica ran has ended (its thread settled), however quickly. */
export interface CommandEnded {
  kind: "ended";
  /** The command. */
  command: RunCommand;
  /** Its lease. */
  lease: string;
  /** The error text it ended with; null when it succeeded. */
  exception: string | null;
  /** Seconds from its claim to its end. */
  seconds: number;
  /** The service state right after it ended; null when the store could not tell. */
  status: MigrationState | null;
}

/**
 * What the manager tells about the commands this replica runs, from its own start and end of each, so a
 * command that starts and ends between two looks at the stats is never missed. Other replicas' commands
 * are seen only through the stats (the state observer).
 */
export type CommandEvent = CommandStarted | CommandEnded;
