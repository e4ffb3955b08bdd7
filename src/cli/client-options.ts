import { parseArgs } from "node:util";
import { readPasswordFile } from "../config/password-file.ts";
import { COMMAND_TABLE } from "../core/commands.ts";
import { MAX_ROWS_PER_SECOND } from "../core/throttle-change.ts";
import { UsageError } from "./exit-codes.ts";

/** Default server URL of the client commands. */
export const DEFAULT_URL = "http://127.0.0.1:9011";

/** What a client command needs: where the server is, the password, and how to print. */
export interface ClientOptions {
  /** Base URL of the service; `--url`, else MIGRATIONS_URL, else http://127.0.0.1:9011. */
  url: string;
  /** The password; from `--password-file`, else INTERNAL_AUTH_PASSWORD_FILE, else `dev`. */
  password: string;
  /** Ask for detail lines in the output. */
  verbose: boolean;
  /** Print JSON instead of text (stats, plan, list). */
  json: boolean;
  /** Print the command's help and do nothing else. */
  help: boolean;
  /** `--max-rows-per-second` of migrate, finalize and resume (0: no limit); absent when not given. */
  maxRowsPerSecond?: number;
  /** `--by` of cancel: who cancels; absent: `$USER@hostname`. */
  by?: string;
}

/** The client commands with their help lines: the command table's rows that have one, then `watch` and `list` (the CLI's own). */
export const CLIENT_COMMANDS: ReadonlyArray<{ name: string; help: string }> = [
  ...Object.entries(COMMAND_TABLE).flatMap(([name, { help }]) => (help === null ? [] : [{ name, help }])),
  { name: "watch", help: "follow the command that runs now, whoever started it, until it ends" },
  { name: "list", help: "list every migration: state, when it ran and was finalized, rows moved" },
];

/** The help text shared by the client commands. */
export const CLIENT_USAGE = `Usage: migrations ${CLIENT_COMMANDS.map(({ name }) => name).join("|")} [flags]

  --url URL              the service, default ${DEFAULT_URL}          [MIGRATIONS_URL]
  --password-file FILE   file holding the password, default "dev"      [INTERNAL_AUTH_PASSWORD_FILE]
  --verbose              ask for detail lines (per table: rows, batches, durations)
  --json                 print the result as JSON (stats, plan, list)
  --max-rows-per-second N  migrate, finalize: the run's limit of rows per second
                         (default the service's); resume: the running one's new limit; 0: no limit
  --by NAME              cancel: who cancels, for "cancelled by NAME"; default $USER@hostname
  -h, --help             show this help

migrate and finalize follow the command until it ends; pause holds a running
migrate at its next key range, on whichever replica runs it; cancel stops it there
and waits until it stopped. Exit codes: 0 success, 1 the command failed (cancel: it
did not stop within 60 s; plan: a prerequisite check refuses), 2 the request was
rejected, 3 the service or its database is unreachable.
`;

/** Parses the flags of a client command over the environment. Throws UsageError on a bad command line or password file. */
export async function parseClientOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ClientOptions> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        "password-file": { type: "string" },
        verbose: { type: "boolean" },
        json: { type: "boolean" },
        "max-rows-per-second": { type: "string" },
        by: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify.*$/s, "") : String(error);
    throw new UsageError(`${message}. Valid flags: --url, --password-file, --verbose, --json, --max-rows-per-second, --by, --help`);
  }
  const url = values.url || env.MIGRATIONS_URL || DEFAULT_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`--url must be an http:// or https:// URL, got "${url}"`);
  }
  const passwordFile = values["password-file"] || env.INTERNAL_AUTH_PASSWORD_FILE;
  let password = "dev";
  if (passwordFile) {
    try {
      password = await readPasswordFile(passwordFile);
    } catch (error) {
      throw new UsageError((error as Error).message, { cause: error });
    }
  }
  const limitText = values["max-rows-per-second"];
  const options: ClientOptions = { url, password, verbose: values.verbose === true, json: values.json === true, help: values.help === true };
  if (values.by !== undefined) options.by = values.by;
  if (limitText === undefined) return options;
  const limit = /^\d+$/.test(limitText.trim()) ? Number(limitText.trim()) : NaN;
  if (!Number.isSafeInteger(limit) || limit > MAX_ROWS_PER_SECOND) {
    throw new UsageError(`--max-rows-per-second must be an integer from 0 (no limit) to ${MAX_ROWS_PER_SECOND}, got "${limitText}"`);
  }
  return { ...options, maxRowsPerSecond: limit };
}
