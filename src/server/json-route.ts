import { MethodNotAllowedError, NotFoundError } from "./request-errors.ts";
import type { MigrationApi } from "../core/results.ts";
import type { Authenticate } from "./auth.ts";
import { describeError } from "./error-map.ts";
import { discardBody, readBody, RequestAbortedError, type NodeRequest } from "./json-body.ts";
import { parseRouteRequest } from "./json-request.ts";
import { cancelBy, clientAddress } from "./cancel-by.ts";
import { planBody } from "../wire/json-plan.ts";
import { commandBody, errorBody, statsBody } from "../wire/json-results.ts";
import type { Logger } from "./logger.ts";
import { sendJson, type NodeResponse } from "./send-json.ts";

/** The two spellings of the route (a query string is ignored). */
export const JSON_ROUTE_PATHS: ReadonlySet<string> = new Set(["/internal/migrations/", "/internal/migrations"]);

/** What the JSON route needs. */
export interface JsonRouteOptions {
  /** The application face shared with the RPCs. */
  api: MigrationApi;
  /** The shared auth check. */
  authenticate: Authenticate;
  /** Largest accepted body in bytes. */
  bodyLimit: number;
  /** Receives the details of unexpected faults. */
  logger: Logger;
  /** Told the command of a request once its body validated (for the request log and metrics). */
  onCommand?: (req: NodeRequest, cmd: string) => void;
}

/**
 * `POST /internal/migrations/` as a connect-node fallback; any other path gets a JSON 404.
 * Checks in order: path, method, auth, size, JSON, fields.
 */
export function createJsonRoute(options: JsonRouteOptions): (req: NodeRequest, res: NodeResponse) => void {
  return (req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      if (error instanceof RequestAbortedError) {
        options.logger.warn({ msg: "request aborted", url: req.url });
        return;
      }
      const answer = describeError(error, options.logger);
      discardBody(req);
      const headers = error instanceof MethodNotAllowedError ? { allow: "POST" } : undefined;
      sendJson(res, answer.status, errorBody(answer.message), headers);
    });
  };
}

async function handle(options: JsonRouteOptions, req: NodeRequest, res: NodeResponse): Promise<void> {
  const path = (req.url ?? "").split("?", 1)[0]!;
  if (!JSON_ROUTE_PATHS.has(path)) throw new NotFoundError("Not found");
  if (req.method !== "POST") throw new MethodNotAllowedError(`Method ${req.method} not allowed; use POST`);
  options.authenticate(req.headers.authorization);
  const body = await readBody(req, options.bodyLimit);
  const { cmd, verbose, maxRowsPerSecond, by } = parseRouteRequest(body);
  options.onCommand?.(req, cmd);
  const extra = cmd === "cancel" ? { by: cancelBy(by, clientAddress(req)) } : maxRowsPerSecond === undefined ? {} : { maxRowsPerSecond };
  const answer =
    cmd === "stats" ? statsBody(await options.api.stats())
    : cmd === "plan" ? planBody(await options.api.plan())
    : commandBody(await options.api.execute(cmd, verbose, extra));
  sendJson(res, 200, answer);
}
