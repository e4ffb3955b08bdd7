import type { Interceptor } from "@connectrpc/connect";
import type { Authenticate } from "./auth.ts";
import { toConnectError } from "./error-map.ts";
import type { Logger } from "./logger.ts";

/** Outermost interceptor: every error of auth or handler leaves as a ConnectError mapped by the error table. */
export function createErrorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      throw toConnectError(error, logger);
    }
  };
}

/**
 * Runs the shared auth check on the RPC face (interceptors do not run on the JSON fallback), except for
 * the services named in `publicServices` (server reflection: the schema is no secret).
 */
export function createAuthInterceptor(authenticate: Authenticate, publicServices: readonly string[] = []): Interceptor {
  return (next) => async (req) => {
    if (!publicServices.includes(req.service.typeName)) authenticate(req.header.get("authorization"));
    return next(req);
  };
}
