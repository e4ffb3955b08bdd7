import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/** A response as both the HTTP/1 and the HTTP/2 compat server hand it over (connect-node's fallback type). */
export type NodeResponse = Parameters<NonNullable<ConnectNodeAdapterOptions["fallback"]>>[1];

/** Writes `body` as `application/json` with `status`; does nothing when the response is already gone or started. */
export function sendJson(
  res: NodeResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(payload.length),
    "cache-control": "no-store",
  });
  res.end(payload);
}
