/** What the service knows about one command. */
interface CommandSpec {
  /** True for the commands that change things: each is claimed and runs in the worker pool (one engine phase each). */
  runs: boolean;
  /** One line for `migrations --help`, or null when the CLI does not offer it (the legacy `progress` poll). */
  help: string | null;
}

/**
 * THE command table: one row per command the route accepts, in the order the docs list them. A new command
 * is a row here plus its engine phase; the route's validation, the API type, the CLI's dispatch and help,
 * and the metrics are derived from it, and a run command the engine or the CLI does not handle is a
 * compile error there.
 */
export const COMMAND_TABLE = {
  migrate: { runs: true, help: "build the migrated shadow copies, and follow until done" },
  finalize: { runs: true, help: "swap the migrated tables in (migrating first when needed), and follow until done" },
  reset: { runs: true, help: "throw away unfinalized work and lift the write protection" },
  pause: { runs: false, help: "hold the running migrate at its next key range (any replica)" },
  resume: { runs: false, help: "let a paused migrate go on; --max-rows-per-second N changes its limit" },
  cancel: { runs: false, help: "stop the running migrate (or finalize before its swap) within seconds; --by NAME says who" },
  stats: { runs: false, help: "show the state, progress and output" },
  plan: { runs: false, help: "say what migrate would do now (tables, rows, routes, time, prerequisites), doing nothing" },
  progress: { runs: false, help: null },
} as const satisfies Record<string, CommandSpec>;

/** Every command the route accepts (`progress` is the legacy poll, CONTRACT §4). */
export type Command = keyof typeof COMMAND_TABLE;

/** The commands that change things; each runs in the worker pool. */
export type RunCommand = { [K in Command]: (typeof COMMAND_TABLE)[K]["runs"] extends true ? K : never }[Command];

/** What `MigrationApi.execute` takes: every command but `stats` and `plan`, which have their own answers. */
export type ExecuteCommand = Exclude<Command, "stats" | "plan">;

/** The commands that change how the running migrate is held back, not what it does. */
export type ThrottleCommand = "pause" | "resume";

/** Narrows a command name to a throttle command. */
export function isThrottleCommand(value: unknown): value is ThrottleCommand {
  return value === "pause" || value === "resume";
}

/** Every accepted command name, in the order the docs list them. */
export const COMMANDS = Object.keys(COMMAND_TABLE) as Command[];

/** The run commands, in table order. */
export const RUN_COMMANDS = COMMANDS.filter((name): name is RunCommand => COMMAND_TABLE[name].runs);

/** Narrows an unknown value to a command name. */
export function isCommand(value: unknown): value is Command {
  return typeof value === "string" && Object.hasOwn(COMMAND_TABLE, value);
}

/** Narrows an unknown value to a run command name. */
export function isRunCommand(value: unknown): value is RunCommand {
  return isCommand(value) && COMMAND_TABLE[value].runs;
}
