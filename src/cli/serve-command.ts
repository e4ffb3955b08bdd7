import { redactDatabaseUrl } from "../config/database-url.ts";
import { resolveServeConfig } from "../config/resolve-serve-config.ts";
import { parseServeFlags, SERVE_USAGE } from "../config/serve-options.ts";
import { hostPort } from "../server/listen-error.ts";
import { ExitCode } from "./exit-codes.ts";
import type { Terminal } from "./terminal.ts";

/** `http://HOST:PORT` of a listening service, with IPv6 hosts in brackets. */
export function listenUrl(host: string, port: number): string {
  return `http://${hostPort(host, port)}`;
}

/** Resolves when the process gets SIGINT or SIGTERM; a second signal exits at once with code 1. */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      process.once("SIGINT", () => process.exit(ExitCode.FAILED)).once("SIGTERM", () => process.exit(ExitCode.FAILED));
      resolve(signal);
    };
    process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  });
}

/**
 * `migrations serve`: resolves the configuration (StartupError on a bad one), starts the service (which
 * seeds the demo data in demo mode), prints `migration service listening on http://HOST:PORT` as its first line with
 * that text, and runs until SIGINT/SIGTERM, then closes gracefully. Service log lines go to stderr.
 */
export async function serveCommand(argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal): Promise<ExitCode> {
  if (parseServeFlags(argv).help) {
    terminal.out(SERVE_USAGE.trimEnd());
    return ExitCode.OK;
  }
  const config = await resolveServeConfig(argv, env);
  const { startService } = await import("../server/start-service.ts");
  const service = await startService(config, { log: (line) => terminal.err(line) });
  const signal = nextSignal();
  terminal.out(`migration service listening on ${listenUrl(config.host, service.port)}`);
  terminal.out(`database ${redactDatabaseUrl(config.databaseUrl)}, migrations ${config.migrationsDir}, ${config.workers} workers`);
  if (config.dev) {
    terminal.out(`WARNING: dev mode: listening on 127.0.0.1 only, password "${config.passwordForms === undefined ? config.password : "from the password file"}". Never use dev mode in production.`);
  }
  if (config.demo) {
    terminal.out(`demo: demo shop data in ${redactDatabaseUrl(config.databaseUrl)}; in another terminal run "node bin/migrations.mjs stats", then "... migrate" and "... finalize"`);
  }
  terminal.out(`stopping: received ${await signal}, shutting down gracefully`);
  await service.close();
  terminal.out("stopped");
  return ExitCode.OK;
}
