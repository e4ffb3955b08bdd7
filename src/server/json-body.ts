import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { PayloadTooLargeError } from "./request-errors.ts";

/** A request as both the HTTP/1 and the HTTP/2 compat server hand it over (connect-node's fallback type). */
export type NodeRequest = Parameters<NonNullable<ConnectNodeAdapterOptions["fallback"]>>[0];

/** The client went away before its body was complete; there is nobody left to answer. */
export class RequestAbortedError extends Error {
  override readonly name = "RequestAbortedError";
}

const discarding = new WeakSet<NodeRequest>();

/** How many bytes past an answered request are read and thrown away before the connection is cut. */
export const DISCARD_LIMIT = 1024 * 1024;

/**
 * Reads the body into memory, at most `limit` bytes: a larger Content-Length is refused before reading,
 * a longer stream as soon as it passes the limit (PayloadTooLargeError). The rest is discarded.
 */
export function readBody(req: NodeRequest, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      discardBody(req);
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("aborted", onAbort);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        discardBody(req);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      cleanup();
      reject(new RequestAbortedError("request aborted before its body was complete"));
    };
    const onClose = () => {
      if (!req.readableEnded) onAbort();
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("aborted", onAbort);
    req.on("close", onClose);
  });
}

/**
 * Throws away what is left of a body we answer without reading, so a keep-alive connection stays usable;
 * past DISCARD_LIMIT bytes the request (and on HTTP/1 its connection) is destroyed instead.
 */
export function discardBody(req: NodeRequest): void {
  if (req.readableEnded || req.destroyed || discarding.has(req)) return;
  discarding.add(req);
  let discarded = 0;
  req.on("error", () => {});
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT) req.destroy();
  });
  req.resume();
}

function tooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request body is larger than the limit of ${limit} bytes`);
}
