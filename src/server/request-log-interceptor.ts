import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { requestRecordKey } from "./request-tracker.ts";

/** `failed_precondition` for Code.FailedPrecondition: the names Connect uses on the wire. */
export function connectCodeName(code: Code): string {
  const name = Code[code] as string | undefined;
  return name === undefined ? String(code) : name.replace(/[A-Z]/g, (letter, at: number) => (at > 0 ? "_" : "") + letter.toLowerCase());
}

/**
 * Outermost RPC interceptor: writes the method name and the outcome (`ok` or the Connect code name)
 * onto the request's record, which the server logs and counts when the response ends. The first
 * outcome wins: a client that leaves (the call's signal aborts) makes it `canceled`, also for a stream
 * whose handler then ends normally; a stream that ends by itself is `ok` once its last message went out.
 */
export function createRequestLogInterceptor(): Interceptor {
  return (next) => async (req) => {
    const record = req.contextValues.get(requestRecordKey);
    if (!record) return next(req);
    record.command = req.method.name;
    const settle = (status: string) => (record.status ??= status);
    req.signal.addEventListener("abort", () => settle(codeOf(req.signal.reason, Code.Canceled)), { once: true });
    try {
      const res = await next(req);
      if (!res.stream) {
        settle("ok");
        return res;
      }
      return { ...res, message: followed(res.message, settle) };
    } catch (error) {
      settle(codeOf(error, Code.Unknown));
      throw error;
    }
  };
}

/** The messages of a streaming response; settles the outcome when the stream ends, however it ends. */
async function* followed<T>(messages: AsyncIterable<T>, settle: (status: string) => void): AsyncIterable<T> {
  // Neither done nor failed means the server stopped reading: the client left.
  let status = connectCodeName(Code.Canceled);
  try {
    yield* messages;
    status = "ok";
  } catch (error) {
    status = codeOf(error, Code.Unknown);
    throw error;
  } finally {
    settle(status);
  }
}

/** The Connect code name of a thrown value or abort reason; `fallback` when it is no ConnectError. */
function codeOf(reason: unknown, fallback: Code): string {
  return connectCodeName(reason instanceof ConnectError ? reason.code : fallback);
}
