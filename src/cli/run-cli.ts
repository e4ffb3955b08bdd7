import { StartupError } from "../core/errors.ts";
import { isRunCommand, isThrottleCommand, type RunCommand, type ThrottleCommand } from "../core/commands.ts";
import { packageVersion } from "../config/package-version.ts";
import { cancelCommand } from "./cancel-command.ts";
import { CLIENT_COMMANDS, CLIENT_USAGE, parseClientOptions } from "./client-options.ts";
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
  create     write the next numbered migration file (see: migrations create --help)
${CLIENT_COMMANDS.map(({ name, help }) => `  ${name.padEnd(10)} ${help}`).join("\n")}

  -v, --version  print the version of migrations

${CLIENT_USAGE}`;

/** The commands of the CLI: the server, `create` and the client commands. */
const CLI_COMMANDS = ["serve", "create", ...CLIENT_COMMANDS.map(({ name }) => name)];

/** Runs a client command against the service and maps client errors to exit codes 2 and 3. */
async function clientCommand(name: RunCommand | ThrottleCommand | "cancel" | "stats" | "plan" | "watch" | "list", argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal): Promise<ExitCode> {
  const options = await parseClientOptions(argv, env);
  if (options.help) {
    terminal.out(CLIENT_USAGE.trimEnd());
    return ExitCode.OK;
  }
  const client = createMigrationClient(options.url, options.password);
  try {
    if (name === "stats") return await statsCommand(client, options, terminal);
    if (name === "watch") return await watchCommand(client, terminal);
    if (name === "cancel") return await cancelCommand(client, options, env, terminal);
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
      case "create":
        return (await import("./create-command.ts")).createCommand(rest, env, terminal);
      case "stats":
      case "cancel":
      case "plan":
      case "watch":
      case "list":
        return await clientCommand(command, rest, env, terminal);
      case "--version":
      case "-v":
        terminal.out(packageVersion());
        return ExitCode.OK;
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
