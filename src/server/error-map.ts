import { Code, ConnectError } from "@connectrpc/connect";
import { ConflictError, DatabaseUnavailableError } from "../core/errors.ts";
import { RequestError } from "./request-errors.ts";
import type { Logger } from "./logger.ts";

/** What a client is told about a failed request, on either face. */
export interface ErrorAnswer {
  /** HTTP status of the JSON route. */
  status: number;
  /** Connect code of the RPC face. */
  code: Code;
  /** The text both faces send; generic for unexpected faults. */
  message: string;
}

/**
 * The one table: error kind (a RequestError's, `conflict` for the core's ConflictError, `unavailable` for a
 * DatabaseUnavailableError: the database cannot be reached, as /ready says) → HTTP status and Connect code. `conflict` is every state that refuses a command: CONTRACT §3's texts, and `pause` / `resume`
 * while no migrate or finalize runs (`No migrate or finalize is running: there is nothing to pause.`).
 */
export const ERROR_TABLE: Readonly<Record<RequestError["kind"] | "conflict" | "unavailable", { status: number; code: Code }>> = {
  bad_request: { status: 400, code: Code.InvalidArgument },
  conflict: { status: 400, code: Code.FailedPrecondition },
  unavailable: { status: 503, code: Code.Unavailable },
  unauthorized: { status: 401, code: Code.Unauthenticated },
  too_large: { status: 413, code: Code.ResourceExhausted },
  method: { status: 405, code: Code.Unimplemented },
  not_found: { status: 404, code: Code.NotFound },
};

/** The only text a client sees for a fault that is neither a RequestError nor a ConflictError. */
export const INTERNAL_ERROR_MESSAGE = "Internal server error";

/** Maps any thrown value to its answer; unexpected ones are logged with their details and answered generically. */
export function describeError(error: unknown, logger: Logger): ErrorAnswer {
  if (error instanceof RequestError) return { ...ERROR_TABLE[error.kind], message: error.message };
  if (error instanceof ConflictError) return { ...ERROR_TABLE.conflict, message: error.message };
  if (error instanceof DatabaseUnavailableError) return { ...ERROR_TABLE.unavailable, message: error.message };
  logger.error({ msg: "unexpected error while handling a request", err: errorDetails(error) });
  return { status: 500, code: Code.Internal, message: INTERNAL_ERROR_MESSAGE };
}

/** The ConnectError for any thrown value: request and conflict errors keep their message, ConnectErrors pass through. */
export function toConnectError(error: unknown, logger: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  const answer = describeError(error, logger);
  return new ConnectError(answer.message, answer.code);
}

/** Name, message and stack of an error, for the log only. */
function errorDetails(error: unknown): object {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
