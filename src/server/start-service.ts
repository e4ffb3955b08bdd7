import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { ServiceConfig } from "../config/service-config.ts";
import { databaseSecrets, redactDatabaseUrl } from "../config/database-url.ts";
import { MigrationManager, SHUTDOWN_GRACE_MS } from "../core/migration-manager.ts";
import type { CommandEvent } from "../core/command-events.ts";
import { isLeaseOf } from "../core/replica-runs.ts";
import { registeredMigration } from "../core/service-view.ts";
import { DEFAULT_MAX_FINALIZE_BACKLOG } from "../core/table-writes.ts";
import { openDemoDb } from "../demo/open-demo-db.ts";
import { seedDemo } from "../demo/seed-demo.ts";
import { loadMigrations } from "../migrations/loader.ts";
import { CommandPool } from "../runner/command-pool.ts";
import { driverForUrl } from "../stores/drivers.ts";
import { SurveyPool } from "../runner/survey-pool.ts";
import { openStore } from "../stores/open-store.ts";
import { createHttpServer } from "./http-server.ts";
import { ServiceMetrics } from "./metrics.ts";
import { createPinoLogger } from "./pino-logger.ts";
import { createSecretRedactor } from "./redact-secrets.ts";
import { logCommandEnd, startStateObserver } from "./state-observer.ts";

/** A started service. */
export interface RunningService {
  /** The port it listens on (the real one when 0 was asked for). */
  port: number;
  /** This process's replica id. */
  replicaId: string;
  /**
   * Stops accepting requests, waits up to `graceMs` (default the configured shutdown grace) for the running command,
   * then ends its thread and records it failed, and closes the pool and the store: bounded in time.
   */
  close(graceMs?: number): Promise<void>;
}

/** Options of the composition root. */
export interface StartOptions {
  /** Receives each log line (one JSON object, no newline); default stderr. */
  log?: (line: string) => void;
  /** How often the state observer polls stats; default 1000 ms. */
  observeIntervalMs?: number;
}

/**
 * Composition root: logger (pino, `config.logLevel`), store (opened and initialised), migrations, runner,
 * core, the HTTP server on one port with its metrics, and the state observer.
 */
export async function startService(config: ServiceConfig, options: StartOptions = {}): Promise<RunningService> {
  const logger = createPinoLogger({
    level: config.logLevel ?? "info",
    write: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  });
  // Dev mode's own password is public; scrubbing "dev" out of every text would only garble it.
  const publicPassword = config.dev && config.passwordForms === undefined;
  const redact = createSecretRedactor([...databaseSecrets(config.databaseUrl), ...(publicPassword ? [] : [config.password])]);
  for (const warning of config.warnings ?? []) logger.warn(warning);
  driverForUrl(config.databaseUrl).checkLocation(config.databaseUrl, config.createDatabase === true);
  const migrations = await loadMigrations(config.migrationsDir);
  if (config.demo) await seedDemoData(config.databaseUrl, (line) => logger.info(line));
  const store = await openStore(config.databaseUrl);
  const replicaId = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const refs = new Map(migrations.map(({ index, name, path, checksum }) => [index, { index, name, path, checksum }]));
  const pool = new CommandPool({
    databaseUrl: config.databaseUrl,
    migrations: [...refs.values()],
    transformWorkers: config.workers,
    maxFinalizeBacklog: config.maxFinalizeBacklog ?? DEFAULT_MAX_FINALIZE_BACKLOG,
    finalizeLockWaitMs: config.finalizeLockWaitMs,
    onError: (error) => logger.error({ msg: "worker pool error", error: error.stack ?? String(error) }),
    // Every output line, detail lines too: the operator's log has what a non-verbose output leaves out.
    onOutput: (text) => {
      for (const line of text.split("\n").slice(0, -1)) logger.info({ msg: "command output", line: redact(line) });
    },
  });
  // The command thread warms up while the service starts and serves: a command sent before it is ready waits for it.
  const poolStarted = Date.now();
  void pool.ready().then((warm) => warm && logger.info({ msg: "command thread ready", ms: Date.now() - poolStarted }));
  const metrics = new ServiceMetrics();
  // This replica's commands are counted and logged from the manager's own events; the observer sees only other replicas' ones.
  const onCommand = (event: CommandEvent) => {
    if (event.kind === "started") {
      logger.info({ msg: "command started", command: event.command, runner: event.lease });
      return;
    }
    const end = { command: event.command, outcome: event.exception === null ? "success" : "failed", seconds: event.seconds, runner: event.lease, status: event.status } as const;
    logCommandEnd(logger, end);
    metrics.observeCommandEnd(end.command, end.outcome, end.seconds);
  };
  const surveyPool = new SurveyPool(config.databaseUrl);
  const manager = new MigrationManager({
    store,
    registry: migrations.map(registeredMigration),
    startRun: (command, verbose, lease, signal) => pool.run(command, verbose, lease, signal),
    startReplay: () => pool.replay(),
    survey: (pending) => surveyPool.survey(pending.map((m) => refs.get(m.index)!)),
    replicaId,
    stallTimeoutMs: config.stallTimeoutMs,
    maxRowsPerSecond: config.maxRowsPerSecond,
    logger: { warn: (message) => logger.warn(message) },
    onCommand,
  });
  const server = createHttpServer({ api: manager, password: config.passwordForms ?? config.password, bodyLimit: config.bodyLimit, logger, metrics, redact });
  let port: number;
  try {
    await manager.recover();
    ({ port } = await server.listen(config.port, config.host));
  } catch (error) {
    // A taken port or an unreadable database must not leave threads and connections behind.
    await pool.close();
    await surveyPool.close();
    await store.close();
    throw error;
  }
  const stopWatchdog = manager.startWatchdog();
  logger.info({
    msg: "service started", replicaId, database: redactDatabaseUrl(config.databaseUrl),
    migrations: migrations.length, dev: config.dev, demo: config.demo,
  });
  const observer = startStateObserver({
    api: manager, logger, redact, intervalMs: options.observeIntervalMs,
    onCommandEnd: (command, outcome, seconds) => metrics.observeCommandEnd(command, outcome, seconds),
    reportsOwnEnd: (runner) => isLeaseOf(replicaId, runner),
  });
  return {
    port,
    replicaId,
    async close(graceMs = config.shutdownGraceMs ?? SHUTDOWN_GRACE_MS) {
      stopWatchdog();
      await observer.stop();
      await server.close();
      await manager.stop(graceMs, "because the service was shut down while it ran; reset and run it again");
      await pool.close();
      await surveyPool.close();
      await store.close();
    },
  };
}

async function seedDemoData(databaseUrl: string, log: (line: string) => void): Promise<void> {
  const db = await openDemoDb(databaseUrl);
  try {
    if (await seedDemo(db)) log("demo data seeded");
  } finally {
    await db.close();
  }
}
