import { DATABASE_UNAVAILABLE, DatabaseUnavailableError } from "../core/errors.ts";
import type { MigrationApi, Stats } from "../core/results.ts";
import type { NodeRequest } from "./json-body.ts";
import type { Logger } from "./logger.ts";
import type { ServiceMetrics } from "./metrics.ts";
import type { RequestRecord } from "./request-tracker.ts";
import { sendJson, type NodeResponse } from "./send-json.ts";
import { TimeoutError, withTimeout } from "./with-timeout.ts";

/** The paths of the ops endpoints: plain GETs without auth, for probes and scrapers. */
export const OPS_PATHS: ReadonlySet<string> = new Set(["/health", "/ready", "/metrics"]);

/** Longest `reason` of a 503 from /ready. */
const REASON_LIMIT = 300;

/** What the ops endpoints need. */
export interface OpsRoutesOptions {
  /** Asked for stats by /ready and /metrics. */
  api: MigrationApi;
  /** Rendered by /metrics, its gauges filled from the stats of each scrape. */
  metrics: ServiceMetrics;
  /** Receives a warning when the database does not answer a scrape. */
  logger: Logger;
  /** How long /ready and /metrics wait for stats; default 2000 ms. */
  statsTimeoutMs?: number;
  /** Removes secrets from a text before a client sees it (the 503 reason); default unchanged. */
  redact?: (text: string) => string;
  /** True once the server is shutting down: /ready then answers 503. */
  closing?: () => boolean;
}

/** Answers a request for an ops path and returns true; returns false for any other path. */
export type OpsRoutes = (req: NodeRequest, res: NodeResponse, record?: RequestRecord) => boolean;

/**
 * `GET /health` (the process is alive: 200 `{"status":"ok"}`, touches nothing), `GET /ready` (200
 * `{"status":"ready"}` when the database answers stats in time, else 503 `{"status":"not ready","reason"}`)
 * and `GET /metrics` (Prometheus text). Other methods on these paths get a JSON 405.
 */
export function createOpsRoutes(options: OpsRoutesOptions): OpsRoutes {
  const timeoutMs = options.statsTimeoutMs ?? 2000;
  const redact = options.redact ?? ((text: string) => text);
  const stats = (): Promise<Stats> => withTimeout(options.api.stats(), timeoutMs, "the database");

  const ready = async (res: NodeResponse) => {
    if (options.closing?.()) return sendJson(res, 503, { status: "not ready", reason: "shutting down" });
    try {
      await stats();
      sendJson(res, 200, { status: "ready" });
    } catch (error) {
      sendJson(res, 503, { status: "not ready", reason: redact(describe(error)).slice(0, REASON_LIMIT) });
    }
  };

  const metrics = async (res: NodeResponse) => {
    let current: Stats | null = null;
    try {
      current = await stats();
    } catch (error) {
      options.logger.warn({ msg: "metrics: stats failed", reason: redact(describe(error)).slice(0, REASON_LIMIT) });
    }
    options.metrics.update(current);
    const body = Buffer.from(await options.metrics.render(), "utf8");
    if (res.headersSent || res.writableEnded || res.destroyed) return;
    res.writeHead(200, { "content-type": options.metrics.contentType, "content-length": String(body.length), "cache-control": "no-store" });
    res.end(body);
  };

  return (req, res, record) => {
    const path = (req.url ?? "").split("?", 1)[0]!;
    if (!OPS_PATHS.has(path)) return false;
    if (record) {
      record.face = "ops";
      record.command = path.slice(1);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { success: false, message: `Method ${req.method} not allowed; use GET` }, { allow: "GET, HEAD" });
      return true;
    }
    if (path === "/health") {
      sendJson(res, 200, { status: "ok" });
      return true;
    }
    (path === "/ready" ? ready(res) : metrics(res)).catch((error: unknown) => {
      options.logger.error({ msg: "ops endpoint failed", path, err: redact(error instanceof Error ? error.message : String(error)) });
      sendJson(res, 500, { success: false, message: "Internal server error" });
    });
    return true;
  };
}

/** One line about why the database did not answer: the error's message, else its code or name. */
function describe(error: unknown): string {
  if (error instanceof TimeoutError || error instanceof DatabaseUnavailableError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const text = error.message || (code ?? error.name);
    return `${DATABASE_UNAVAILABLE}: ${text}`.replace(/\s+/g, " ").trim();
  }
  return `${DATABASE_UNAVAILABLE}: ${String(error)}`;
}
