/** The commands that change things; each runs in the worker pool. */
export type RunCommand = "migrate" | "finalize" | "reset";

/** Every command the route accepts (`progress` is the legacy poll, CONTRACT §4). */
export type Command = RunCommand | "stats" | "progress";

/** Every accepted command name, in the order the docs list them. */
export const COMMANDS: readonly Command[] = ["migrate", "finalize", "reset", "stats", "progress"];

/** Narrows an unknown value to a command name. */
export function isCommand(value: unknown): value is Command {
  return typeof value === "string" && (COMMANDS as readonly string[]).includes(value);
}
