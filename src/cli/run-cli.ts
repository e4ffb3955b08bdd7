import { StartupError } from "../core/errors.ts";
import { COMMAND_TABLE, isRunCommand, isThrottleCommand, type RunCommand, type ThrottleCommand } from "../core/commands.ts";
import { CLIENT_USAGE, parseClientOptions } from "./client-options.ts";
import { describeClientError } from "./client-error.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import { createMigrationClient } from "./migration-client.ts";
import { listCommand } from "./list-command.ts";
import { planCommand } from "./plan-command.ts";
import { runCommand } from "./run-command.ts";
import { statsCommand } from "./stats-command.ts";
import { throttleCommand } from "./throttle-command.ts";
import { watchCommand } from "./watch-command.ts";
import type { Terminal } from "./terminal.ts";

/** The top-level help of `migrations`. */
export const MAIN_USAGE = `Usage: migrations <command> [flags]

Commands:
  serve      run the migration service (see: migrations serve --help)
${Object.entries(COMMAND_TABLE)
  .flatMap(([name, { help }]) => (help === null ? [] : [`  ${name.padEnd(10)} ${help}`]))
  .join("\n")}
  watch      follow the command that runs now, whoever started it, until it ends
  list       list every migration: state, when it ran and was finalized, rows moved

${CLIENT_USAGE}`;

/** The commands of the CLI: the server, the table's commands that have a help line, and `watch`. */
const CLI_COMMANDS = ["serve", ...Object.entries(COMMAND_TABLE).flatMap(([name, { help }]) => (help === null ? [] : [name])), "watch", "list"];

/** Runs a client command against the service and maps client errors to exit codes 2 and 3. */
async function clientCommand(name: RunCommand | ThrottleCommand | "stats" | "plan" | "watch" | "list", argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal): Promise<ExitCode> {
  const options = await parseClientOptions(argv, env);
  if (options.help) {
    terminal.out(CLIENT_USAGE.trimEnd());
    return ExitCode.OK;
  }
  const client = createMigrationClient(options.url, options.password);
  try {
    if (name === "stats") return await statsCommand(client, options, terminal);
    if (name === "watch") return await watchCommand(client, terminal);
    if (name === "list") return await listCommand(client, options, terminal);
    if (name === "plan") return await planCommand(client, options, terminal);
    if (isThrottleCommand(name)) return await throttleCommand(name, client, options, terminal);
    return await runCommand(name, client, options, terminal);
  } catch (error) {
    const { exitCode, message } = describeClientError(error, options.url);
    terminal.err(message);
    return exitCode;
  }
}

/** Dispatches `migrations <command> …` and returns its exit code; a StartupError or UsageError prints its message alone. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    if (isRunCommand(command) || isThrottleCommand(command)) return await clientCommand(command, rest, env, terminal);
    switch (command) {
      case "serve":
        return await (await import("./serve-command.ts")).serveCommand(rest, env, terminal);
      case "stats":
      case "plan":
      case "watch":
      case "list":
        return await clientCommand(command, rest, env, terminal);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        terminal.out(MAIN_USAGE.trimEnd());
        return command === undefined ? ExitCode.REQUEST_ERROR : ExitCode.OK;
      default:
        throw new UsageError(`Unknown command "${command}". Commands: ${CLI_COMMANDS.join(", ")} (see migrations --help)`);
    }
  } catch (error) {
    // Errors that say what is wrong with the configuration or a migration file: the message alone, exit 1.
    if (error instanceof Error && (error instanceof StartupError || ["StartupError", "MigrationFileError"].includes(error.name))) {
      terminal.err(error.message);
      return ExitCode.FAILED;
    }
    if (error instanceof UsageError) {
      terminal.err(error.message);
      return ExitCode.REQUEST_ERROR;
    }
    terminal.err(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return ExitCode.FAILED;
  }
}
