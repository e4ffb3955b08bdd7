import { StartupError } from "../core/errors.ts";
import type { RunCommand } from "../core/commands.ts";
import { CLIENT_USAGE, parseClientOptions } from "./client-options.ts";
import { describeClientError } from "./client-error.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import { createMigrationClient } from "./migration-client.ts";
import { runCommand } from "./run-command.ts";
import { statsCommand } from "./stats-command.ts";
import { watchCommand } from "./watch-command.ts";
import type { Terminal } from "./terminal.ts";

/** The top-level help of `migrations`. */
export const MAIN_USAGE = `Usage: migrations <command> [flags]

Commands:
  serve      run the migration service (see: migrations serve --help)
  migrate    build the migrated shadow copies, and follow until done
  finalize   swap the migrated tables in (migrating first when needed), and follow until done
  reset      throw away unfinalized work and lift the write protection
  stats      show the state, progress and output
  watch      follow the command that runs now, whoever started it, until it ends

${CLIENT_USAGE}`;

/** Runs a client command against the service and maps client errors to exit codes 2 and 3. */
async function clientCommand(name: RunCommand | "stats" | "watch", argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal): Promise<ExitCode> {
  const options = await parseClientOptions(argv, env);
  if (options.help) {
    terminal.out(CLIENT_USAGE.trimEnd());
    return ExitCode.OK;
  }
  const client = createMigrationClient(options.url, options.password);
  try {
    if (name === "stats") return await statsCommand(client, options, terminal);
    if (name === "watch") return await watchCommand(client, terminal);
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
    switch (command) {
      case "serve":
        return await (await import("./serve-command.ts")).serveCommand(rest, env, terminal);
      case "migrate":
      case "finalize":
      case "reset":
      case "stats":
      case "watch":
        return await clientCommand(command, rest, env, terminal);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        terminal.out(MAIN_USAGE.trimEnd());
        return command === undefined ? ExitCode.REQUEST_ERROR : ExitCode.OK;
      default:
        throw new UsageError(`Unknown command "${command}". Commands: serve, migrate, finalize, reset, stats, watch (see migrations --help)`);
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
