import { createContextKey } from "@connectrpc/connect";
import { MAX_CANCEL_BY } from "../core/cancel-request.ts";
import type { NodeRequest } from "./json-body.ts";
import { BadRequestError } from "./request-errors.ts";

/** The client's address of an RPC, for a `Cancel` without `by` (set by the request tracker's context values). */
export const clientAddressKey = createContextKey<string>("unknown", { description: "client address" });

/** The address the request came from, without the IPv4-mapped prefix (`127.0.0.1`, not `::ffff:127.0.0.1`). */
export function clientAddress(req: NodeRequest): string {
  const address = req.socket?.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}

function isControl(char: string): boolean {
  const code = char.codePointAt(0)!;
  return code < 0x20 || code === 0x7f;
}

/**
 * Who a cancel names: `by` as sent (trimmed), or the client's address when `by` is absent or empty. A `by`
 * that is no string, longer than MAX_CANCEL_BY or holds control characters (it ends up in one output line)
 * is a BadRequestError.
 */
export function cancelBy(by: unknown, address: string): string {
  if (by === undefined || by === null || by === "") return address;
  const text = typeof by === "string" ? by.trim() : "";
  if (text === "" || text.length > MAX_CANCEL_BY || [...text].some(isControl)) {
    throw new BadRequestError(`'by' must be a name of 1 to ${MAX_CANCEL_BY} printable characters, got ${typeof by === "string" ? JSON.stringify(by.slice(0, MAX_CANCEL_BY)) : typeof by}`);
  }
  return text;
}
