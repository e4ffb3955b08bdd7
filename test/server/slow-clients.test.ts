import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP2_PREFACE } from "../../src/server/protocol-sniffer.ts";
import { request1 } from "./support/raw-http.ts";
import { PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

/** Short deadlines, so the test waits a second instead of a minute; the mechanism is the production one. */
const TIMEOUTS = { headersMs: 400, requestMs: 800 };

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(TIMEOUTS);
});
afterAll(() => t.server.close());

/** Opens a socket, writes `bytes` and resolves with what came back once the server closed it (or rejects after `ms`). */
function heldOpen(bytes: string | Buffer, ms = 15_000): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(t.port, "127.0.0.1", () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("the server kept the connection open"));
    }, ms);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    // The client never ends its side: only the server can close this socket.
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString("latin1"), closedAfterMs: Date.now() - started });
    });
  });
}

describe("slow and half-open clients are disconnected", () => {
  it("HTTP/1: headers that never end get a JSON 408 and the socket is closed", async () => {
    const { text } = await heldOpen("POST /internal/migrations/ HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).toContain('{"success":false,"message":"Request timed out"}');
  });

  it("HTTP/1: a body that never ends is cut off after the request deadline", async () => {
    const { closedAfterMs } = await heldOpen(`POST /internal/migrations/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${PLAIN_AUTH}\r\nContent-Length: 100\r\n\r\n{"cmd":`);
    expect(closedAfterMs).toBeGreaterThanOrEqual(TIMEOUTS.requestMs - 50);
  });

  it("HTTP/2: a session that never opens a stream is closed", async () => {
    await heldOpen(Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
  });

  it("HTTP/2: a stream whose body never ends is cancelled; the session then closes", async () => {
    const session = http2.connect(t.baseUrl);
    session.on("error", () => {});
    const stream = session.request({ ":method": "POST", ":path": "/internal/migrations/", authorization: PLAIN_AUTH });
    stream.on("error", () => {});
    stream.write('{"cmd":');
    const code = await new Promise<number>((resolve) => stream.on("close", () => resolve(stream.rstCode)));
    expect(code).toBe(http2.constants.NGHTTP2_CANCEL);
    await new Promise<void>((resolve) => session.on("close", () => resolve()));
  });

  it("a hundred slow sockets are all closed, and the service keeps answering", async () => {
    const slow = Array.from({ length: 100 }, (_, i) => heldOpen(i % 2 ? "GET /health HTTP/1.1\r\nHo" : HTTP2_PREFACE));
    expect((await request1(t.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } })).status).toBe(200);
    await Promise.all(slow);
  });
});
