import type { Duplex } from "node:stream";
import type { Logger } from "./logger.ts";

/** How long the error answer may take to drain to a client that does not read, before the socket is destroyed. */
const CLIENT_ERROR_LINGER_MS = 1_000;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Payload Too Large",
  431: "Request Header Fields Too Large",
};

/** Status and message for an HTTP/1 parser or timeout error that happened before any handler ran. */
export function clientErrorAnswer(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, message: "Request headers are too large" };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, message: "Request timed out" };
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
      return { status: 400, message: "Malformed HTTP request: invalid Content-Length" };
    default:
      return { status: 400, message: "Malformed HTTP request" };
  }
}

/** The `clientError` listener of the HTTP/1 server: a JSON error on the raw socket where possible, then close. */
export function createClientErrorListener(logger: Logger): (error: Error & { code?: string }, socket: Duplex) => void {
  return (error, socket) => {
    logger.warn({ msg: "HTTP client error", code: error.code });
    // Like Node's default: never write into a response that already started on this socket.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, message } = clientErrorAnswer(error.code);
    const body = JSON.stringify({ success: false, message });
    // Then the socket goes: a half-open or slow client would otherwise keep it after our FIN.
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
        "Content-Type: application/json\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        "Connection: close\r\n\r\n" +
        body,
      () => socket.destroy(),
    );
    setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
  };
}
