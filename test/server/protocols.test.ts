import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HTTP2_PREFACE, sniffProtocol } from "../../src/server/protocol-sniffer.ts";
import { json, rawExchange, request1, request2 } from "./support/raw-http.ts";
import { BODY_LIMIT, PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.server.close());
beforeEach(() => {
  t.logger.entries.length = 0;
});

const route = (body: string, extra = "") =>
  `POST /internal/migrations/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${PLAIN_AUTH}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/** The JSON bodies of the HTTP/1 responses in a raw exchange, with their status lines. */
function responses(raw: string): { status: number; body: unknown }[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n((?:[^\r]+\r\n)*)\r\n/g)].map((m) => {
    const length = Number(/content-length: (\d+)/i.exec(m[2]!)?.[1] ?? 0);
    const start = m.index! + m[0].length;
    return { status: Number(m[1]), body: length ? JSON.parse(raw.slice(start, start + length)) : undefined };
  });
}

describe("sniffProtocol", () => {
  const preface = HTTP2_PREFACE.toString("latin1");
  it.each([
    { name: "nothing yet", seen: "", expected: undefined },
    { name: "first preface byte", seen: preface.slice(0, 1), expected: undefined },
    { name: "all but the last preface byte", seen: preface.slice(0, -1), expected: undefined },
    { name: "the whole preface", seen: preface, expected: "h2" },
    { name: "preface and a frame", seen: `${preface}\0\0\0\x04`, expected: "h2" },
    { name: "an HTTP/1 request line", seen: "POST / HTTP/1.1\r\n", expected: "http1" },
    { name: "PRI with HTTP/1.1", seen: "PRI * HTTP/1.1", expected: "http1" },
    { name: "a short method", seen: "PUT", expected: "http1" },
  ])("$name → $expected", ({ seen, expected }) => {
    expect(sniffProtocol(Buffer.from(seen, "latin1"))).toBe(expected);
  });
});

describe("HTTP/2 prior knowledge on the JSON route", () => {
  it("answers stats", async () => {
    const response = await request2(t.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(json(response)).toMatchObject({ success: true, stats: { status: "finalization_required" } });
  });

  it.each([
    { name: "no password", req: { body: '{"cmd":"stats"}' }, status: 401, message: "Unauthorized" },
    { name: "GET", req: { method: "GET", headers: { authorization: PLAIN_AUTH } }, status: 405, message: "Method GET not allowed; use POST" },
    { name: "too large", req: { body: "x".repeat(BODY_LIMIT + 10), headers: { authorization: PLAIN_AUTH } }, status: 413, message: `Request body is larger than the limit of ${BODY_LIMIT} bytes` },
    { name: "unknown path", req: { path: "/elsewhere", body: "{}" }, status: 404, message: "Not found" },
  ])("errors are JSON too: $name → $status", async ({ req, status, message }) => {
    const response = await request2(t.port, req);
    expect(response.status).toBe(status);
    expect(json(response)).toStrictEqual({ success: false, message });
  });
});

describe("the sniffer", () => {
  it("decides on an HTTP/1 request whose first chunk is one byte", async () => {
    const request = route('{"cmd":"stats"}');
    const raw = await rawExchange(t.port, [request.slice(0, 1), request.slice(1, 5), request.slice(5)], 300);
    expect(responses(raw)[0]?.status).toBe(200);
  });

  it("decides on an HTTP/2 preface that arrives in pieces", async () => {
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const raw = await rawExchange(t.port, [HTTP2_PREFACE.subarray(0, 3), HTTP2_PREFACE.subarray(3, 20), HTTP2_PREFACE.subarray(20), settings], 300);
    // The server's first frame is its SETTINGS frame (type 4 on stream 0).
    expect(Buffer.from(raw, "latin1")[3]).toBe(4);
  });

  it.each([
    { name: "HTTP/2", first: Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]) },
    { name: "HTTP/1", first: Buffer.from("POST /internal/migrations HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{") },
  ])("closes its side when an $name client half-closes", async ({ first }) => {
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = net.connect(t.port, "127.0.0.1", () => {
        socket.write(first);
        setTimeout(() => socket.end(), 30);
      });
      socket.on("data", () => {});
      socket.on("error", () => {});
      socket.on("close", () => resolve(Date.now() - started));
    });
    expect(closedAfter).toBeLessThan(1000);
  });

  it("drops a connection that ends inside the preface, and keeps serving", async () => {
    await rawExchange(t.port, ["PRI * HTTP/2"], 100);
    expect((await request1(t.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } })).status).toBe(200);
  });
});

describe("HTTP/1 client errors are JSON", () => {
  it.each([
    { name: "garbage request line", bytes: "GARBAGE\r\n\r\n", status: 400 },
    { name: "invalid Content-Length", bytes: "POST /internal/migrations/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", status: 400 },
    { name: "two Content-Lengths", bytes: "POST /internal/migrations/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", status: 400 },
    { name: "headers too large", bytes: `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, status: 431 },
    { name: "binary noise (a TLS hello)", bytes: Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]), status: 400 },
  ])("$name → $status", async ({ bytes, status }) => {
    const [first] = responses(await rawExchange(t.port, [bytes]));
    expect(first?.status).toBe(status);
    expect(first?.body).toMatchObject({ success: false, message: expect.any(String) });
  });
});

describe("bodies and connections", () => {
  it("refuses a declared length over the limit before the body arrives", async () => {
    const raw = await rawExchange(t.port, [`POST /internal/migrations HTTP/1.1\r\nHost: x\r\nAuthorization: ${PLAIN_AUTH}\r\nContent-Length: 100000000\r\n\r\n`], 300);
    expect(responses(raw)[0]).toEqual({ status: 413, body: { success: false, message: `Request body is larger than the limit of ${BODY_LIMIT} bytes` } });
  });

  it("keeps a keep-alive connection usable after a 413 (the rest of the body is discarded)", async () => {
    const tooBig = route(`{"cmd":"stats","pad":"${"x".repeat(BODY_LIMIT)}"}`);
    const raw = await rawExchange(t.port, [tooBig + route('{"cmd":"stats"}')], 500);
    expect(responses(raw).map((r) => r.status)).toEqual([413, 200]);
  });

  it("Expect: 100-continue gets no 100 for a body that is too large, and a 100 otherwise", async () => {
    const refused = await rawExchange(t.port, [`POST /internal/migrations HTTP/1.1\r\nHost: x\r\nAuthorization: ${PLAIN_AUTH}\r\nExpect: 100-continue\r\nContent-Length: ${BODY_LIMIT + 1}\r\n\r\n`], 300);
    expect(refused).not.toContain("100 Continue");
    expect(responses(refused)[0]?.status).toBe(413);
    const accepted = await rawExchange(t.port, [`POST /internal/migrations HTTP/1.1\r\nHost: x\r\nAuthorization: ${PLAIN_AUTH}\r\nExpect: 100-continue\r\nContent-Length: 15\r\n\r\n`, '{"cmd":"stats"}'], 300);
    expect(accepted).toContain("HTTP/1.1 100 Continue");
    expect(responses(accepted).at(-1)?.status).toBe(200);
  });

  it("survives a client that disconnects in the middle of its body", async () => {
    await rawExchange(t.port, [`POST /internal/migrations HTTP/1.1\r\nHost: x\r\nAuthorization: ${PLAIN_AUTH}\r\nContent-Length: 100\r\n\r\n{"cmd":`], 100);
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    expect((await request1(t.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } })).status).toBe(200);
    expect(t.logger.entries.filter((e) => e.level === "error")).toEqual([]);
  });

  it("survives an HTTP/2 client that resets its stream mid-body", async () => {
    const session = http2.connect(t.baseUrl);
    const stream = session.request({ ":method": "POST", ":path": "/internal/migrations/", authorization: PLAIN_AUTH });
    stream.on("error", () => {});
    stream.write('{"cmd":');
    await new Promise<void>((resolve) => setTimeout(resolve, 30));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    session.destroy();
    expect((await request2(t.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } })).status).toBe(200);
    expect(t.logger.entries.filter((e) => e.level === "error")).toEqual([]);
  });
});

describe("close()", () => {
  it("resolves promptly with idle HTTP/1 keep-alive and HTTP/2 sessions open, then refuses connections", async () => {
    const s = await startTestServer();
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get({ host: "127.0.0.1", port: s.port, path: "/", agent }, (res) => res.resume().on("end", resolve)).on("error", reject);
    });
    const session = http2.connect(s.baseUrl);
    session.on("error", () => {});
    await new Promise<void>((resolve) => session.on("remoteSettings", () => resolve()));
    const started = Date.now();
    await s.server.close();
    expect(Date.now() - started).toBeLessThan(900);
    agent.destroy();
    const refused = await new Promise<string>((resolve) => {
      net.connect(s.port, "127.0.0.1").on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "")).on("connect", () => resolve("connected"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });

  it("lets a running request finish", async () => {
    const s = await startTestServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = s.api.stats.bind(s.api);
    s.api.stats = async () => {
      await gate;
      return original();
    };
    const pending = request1(s.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } });
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    const closing = s.server.close();
    release();
    expect((await pending).status).toBe(200);
    await closing;
  });
});
