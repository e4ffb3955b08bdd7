import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { StartupError } from "../core/errors.ts";
import { DEFAULT_STALL_TIMEOUT_MS, SHUTDOWN_GRACE_MS } from "../core/migration-manager.ts";
import { DEFAULT_MAX_FINALIZE_BACKLOG } from "../core/table-writes.ts";
import { MAX_ROWS_PER_SECOND } from "../core/throttle-change.ts";
import type { ServiceConfig } from "./service-config.ts";
import { firstSet, parseEnvBoolean, parseLogLevel, parseBoundedInt, parsePort, parsePositiveInt, type LogLevel } from "./config-values.ts";
import { canonicalDatabaseUrl } from "../stores/drivers.ts";
import { DEMO_MIGRATIONS_DIR } from "./package-root.ts";
import { loadPasswordFile } from "./password-file.ts";
import { parseServeFlags } from "./serve-options.ts";

/** Default database: an SQLite file under ./data. */
export const DEFAULT_DATABASE_URL = "sqlite:./data/migrations.db";
/** Default listen address. */
export const DEFAULT_HOST = "127.0.0.1";
/** Default listen port. */
export const DEFAULT_PORT = 9011;
/** Default request body limit: 64 KiB. */
export const DEFAULT_BODY_LIMIT = 65536;
/** Default log level. */
export const DEFAULT_LOG_LEVEL: LogLevel = "info";
/** The password of dev mode. */
export const DEV_PASSWORD = "dev";
/** The dev password under `OPENSLIDES_DEVELOPMENT`, as the anchor's. */
export const OPENSLIDES_DEV_PASSWORD = "openslides";
/** The refusal when neither a password file nor dev mode is configured. */
export const NO_PASSWORD_MESSAGE =
  "No password file: set --password-file or INTERNAL_AUTH_PASSWORD_FILE, or start in dev mode (--dev)";

/**
 * Resolves the configuration of `migrations serve` from its arguments (after `serve`) and the environment:
 * flags over environment over defaults (CONTRACT §6). Relative paths resolve against `process.cwd()`.
 * Throws StartupError with one clear message on any invalid setting.
 */
export async function resolveServeConfig(argv: string[], env: NodeJS.ProcessEnv): Promise<ServiceConfig> {
  const flags = parseServeFlags(argv);
  const cwd = process.cwd();

  const configuredDir = firstSet(flags.migrations, env.MIGRATIONS_DIR);
  const demo = flags.demo === true && configuredDir === undefined;
  const migrationsDir = demo ? DEMO_MIGRATIONS_DIR : resolve(cwd, configuredDir ?? "./migrations");

  const database = firstSet(flags.database, env.DATABASE_URL) ?? DEFAULT_DATABASE_URL;
  const databaseUrl = canonicalDatabaseUrl(database, cwd);

  const portText = firstSet(flags.port, env.PORT);
  const port = portText === undefined ? DEFAULT_PORT : parsePort(portText, flags.port !== undefined ? "--port" : "PORT");

  const workersText = firstSet(flags.workers, env.MIGRATION_WORKERS);
  const workers = workersText === undefined
    ? availableParallelism()
    : parsePositiveInt(workersText, flags.workers !== undefined ? "--workers" : "MIGRATION_WORKERS");

  const stallText = firstSet(flags["stall-timeout"], env.MIGRATION_STALL_TIMEOUT);
  const stallTimeoutMs = stallText === undefined
    ? DEFAULT_STALL_TIMEOUT_MS
    : 1000 * parsePositiveInt(stallText, flags["stall-timeout"] !== undefined ? "--stall-timeout" : "MIGRATION_STALL_TIMEOUT");

  const graceText = firstSet(flags["shutdown-grace"], env.MIGRATION_SHUTDOWN_GRACE);
  const shutdownGraceMs = graceText === undefined
    ? SHUTDOWN_GRACE_MS
    : 1000 * parsePositiveInt(graceText, flags["shutdown-grace"] !== undefined ? "--shutdown-grace" : "MIGRATION_SHUTDOWN_GRACE");

  const backlogText = firstSet(flags["max-finalize-backlog"], env.MIGRATION_MAX_FINALIZE_BACKLOG);
  const maxFinalizeBacklog = backlogText === undefined
    ? DEFAULT_MAX_FINALIZE_BACKLOG
    : parsePositiveInt(backlogText, flags["max-finalize-backlog"] !== undefined ? "--max-finalize-backlog" : "MIGRATION_MAX_FINALIZE_BACKLOG");

  const lockWaitText = firstSet(flags["finalize-lock-wait"], env.MIGRATION_FINALIZE_LOCK_WAIT);
  const finalizeLockWaitMs = lockWaitText === undefined
    ? undefined
    : 1000 * parsePositiveInt(lockWaitText, flags["finalize-lock-wait"] !== undefined ? "--finalize-lock-wait" : "MIGRATION_FINALIZE_LOCK_WAIT");

  const rateText = firstSet(flags["max-rows-per-second"], env.MIGRATION_MAX_ROWS_PER_SECOND);
  const maxRowsPerSecond = rateText === undefined
    ? 0
    : parseBoundedInt(rateText, MAX_ROWS_PER_SECOND, flags["max-rows-per-second"] !== undefined ? "--max-rows-per-second" : "MIGRATION_MAX_ROWS_PER_SECOND");

  const bodyLimit = flags["body-limit"] === undefined ? DEFAULT_BODY_LIMIT : parsePositiveInt(flags["body-limit"], "--body-limit");

  const logLevelText = firstSet(flags["log-level"], env.LOG_LEVEL);
  const logLevel = logLevelText === undefined
    ? DEFAULT_LOG_LEVEL
    : parseLogLevel(logLevelText, flags["log-level"] !== undefined ? "--log-level" : "LOG_LEVEL");

  const passwordFile = firstSet(flags["password-file"], env.INTERNAL_AUTH_PASSWORD_FILE);
  // OpenSlides development stacks set OPENSLIDES_DEVELOPMENT and expect the anchor's dev password.
  const openslidesDev = parseEnvBoolean(env.OPENSLIDES_DEVELOPMENT, "OPENSLIDES_DEVELOPMENT");
  const dev = flags.dev === true || parseEnvBoolean(env.MIGRATIONS_DEV, "MIGRATIONS_DEV") || openslidesDev || (demo && passwordFile === undefined);
  // A password file wins over dev mode's fixed password: an explicit secret is never silently replaced.
  let password: string;
  let passwordForms: Buffer[] | undefined;
  const warnings: string[] = [];
  if (passwordFile !== undefined) {
    const file = await loadPasswordFile(resolve(cwd, passwordFile));
    password = file.password;
    passwordForms = file.forms;
    if (file.warning !== null) warnings.push(file.warning);
  } else if (dev) password = flags["dev-password"] ?? (openslidesDev ? OPENSLIDES_DEV_PASSWORD : DEV_PASSWORD);
  else throw new StartupError(NO_PASSWORD_MESSAGE);

  const host = dev ? DEFAULT_HOST : firstSet(flags.host, env.HOST) ?? DEFAULT_HOST;
  // `npm start` on a fresh clone has no ./data yet: --demo creates it, even when --migrations replaces the demo's.
  const createDatabase = flags.create === true || flags.demo === true;
  return {
    databaseUrl, createDatabase, migrationsDir, host, port, password, passwordForms, workers, stallTimeoutMs, shutdownGraceMs, maxFinalizeBacklog, finalizeLockWaitMs, maxRowsPerSecond, dev, demo, bodyLimit, logLevel, warnings,
  };
}
