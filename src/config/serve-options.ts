import { parseArgs, type ParseArgsConfig } from "node:util";
import { StartupError } from "../core/errors.ts";

/** The flags of `migrations serve`, in the form `node:util` parseArgs takes. */
export const SERVE_OPTIONS = {
  database: { type: "string" },
  migrations: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "password-file": { type: "string" },
  workers: { type: "string" },
  "stall-timeout": { type: "string" },
  "shutdown-grace": { type: "string" },
  "max-finalize-backlog": { type: "string" },
  "finalize-lock-wait": { type: "string" },
  "max-rows-per-second": { type: "string" },
  "body-limit": { type: "string" },
  "log-level": { type: "string" },
  dev: { type: "boolean" },
  "dev-password": { type: "string" },
  demo: { type: "boolean" },
  create: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** The parsed flags of `migrations serve`; absent when not given. */
export type ServeFlags = ReturnType<typeof parseArgs<{ options: typeof SERVE_OPTIONS; strict: true }>>["values"];

/** The help text of `migrations serve`. */
export const SERVE_USAGE = `Usage: migrations serve [flags]

Runs the migration service: the JSON route POST /internal/migrations/ and the
Connect/gRPC/gRPC-Web MigrationService on one port. Flags win over environment.

  --database URL         sqlite:PATH or postgres://USER:PASSWORD@HOST/DB   [DATABASE_URL]
                         default sqlite:./data/migrations.db
  --create               create the SQLite file's directory when it does not
                         exist (without it that stops the start; --demo implies it)
  --migrations DIR       migrations directory, default ./migrations        [MIGRATIONS_DIR]
  --host HOST            listen address, default 127.0.0.1                 [HOST]
  --port PORT            listen port 0-65535 (0 = any free), default 9011  [PORT]
  --password-file FILE   file holding the password clients must send       [INTERNAL_AUTH_PASSWORD_FILE]
  --workers N            worker threads, default the number of CPUs        [MIGRATION_WORKERS]
  --stall-timeout SEC    a running command that shows no output or progress  [MIGRATION_STALL_TIMEOUT]
                         for this long may be stopped by reset, default 600
  --shutdown-grace SEC   on SIGTERM, how long a running command may still    [MIGRATION_SHUTDOWN_GRACE]
                         run before it is stopped and recorded failed, default 10
  --max-finalize-backlog N  most captured changes finalize replays while it   [MIGRATION_MAX_FINALIZE_BACKLOG]
                         holds the tables locked; above it, it replays on first, default 1000
  --finalize-lock-wait SEC  how long finalize waits for its table locks     [MIGRATION_FINALIZE_LOCK_WAIT]
                         before it gives up, changing nothing (finalize may be
                         run again), default about 8 (PostgreSQL), 10 (SQLite)
  --max-rows-per-second N  most rows per second a migrate's transforms move  [MIGRATION_MAX_ROWS_PER_SECOND]
                         (a request or resume may change it), default 0: no limit
  --body-limit BYTES     largest accepted request body, default 65536
  --log-level LEVEL      least severe level logged, default info           [LOG_LEVEL]
                         (trace, debug, info, warn, error, fatal, silent)
  --dev                  dev mode: binds 127.0.0.1, password "dev"         [MIGRATIONS_DEV=1]
                         (OPENSLIDES_DEVELOPMENT=1: dev mode, password "openslides")
  --dev-password TEXT    the password of dev mode instead of "dev"
  --demo                 demo mode (npm start): when no migrations directory is
                         configured, serve the bundled demo migrations and seed
                         demo data (only into an empty database); dev mode
                         unless a password file is set; implies --create
  -h, --help             show this help
`;

/** Every valid flag, as printed in the unknown-flag error. */
export function validFlags(): string {
  return Object.keys(SERVE_OPTIONS).map((name) => `--${name}`).join(", ");
}

/** Parses `serve` arguments strictly; an unknown flag, a missing value or a stray argument is a StartupError listing the valid flags. */
export function parseServeFlags(argv: readonly string[]): ServeFlags {
  try {
    return parseArgs({ args: [...argv], options: SERVE_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]!.replace(/\. To specify.*$/, "") : String(error);
    throw new StartupError(`${message}. Valid flags: ${validFlags()}`, { cause: error });
  }
}
