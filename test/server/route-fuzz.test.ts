import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { COMMANDS } from "../../src/core/commands.ts";
import { request1, request1Raw, request2, type RawResponse } from "./support/raw-http.ts";
import { BODY_LIMIT, PASSWORD, PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.server.close());

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });

/** A JSON body of exactly `size` bytes that is otherwise a valid stats request. */
const padded = (size: number) => {
  const shell = '{"cmd":"stats","pad":""}';
  return `{"cmd":"stats","pad":"${"p".repeat(Math.max(0, size - shell.length))}"}`;
};

const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        cmd: fc.oneof(fc.constantFrom(...COMMANDS, "", "drop", "STATS"), fc.jsonValue()),
        verbose: fc.oneof(fc.boolean(), fc.jsonValue()),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.integer({ min: BODY_LIMIT - 64, max: BODY_LIMIT + 64 }).map(padded),
  fc.integer({ min: BODY_LIMIT + 1, max: 4 * BODY_LIMIT }).map(padded),
);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant(PLAIN_AUTH),
  fc.constant(`Basic ${Buffer.from(`anyone:${PASSWORD}`).toString("base64")}`),
  fc.base64String({ maxLength: 40 }),
  fc.base64String({ maxLength: 40 }).map((token) => `Basic ${token}`),
  printable,
);

const contentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("application/json", "text/plain", "application/grpc", "application/connect+proto", "multipart/form-data; boundary=x"),
  printable,
);

/**
 * Content-Length games; a length above the real one only when it is over the limit, so no request waits
 * forever. "none" sends the body unframed: the server reads it as the start of a next request.
 */
const lengthGame = fc.constantFrom("natural", "none", "shorter", "huge", "garbage", "negative", "chunked+length");

const method = fc.constantFrom("POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");
const path = fc.oneof(
  fc.constantFrom("/internal/migrations/", "/internal/migrations", "/internal/migrations/?verbose=true", "/internal/migrations?x", "/internal//migrations", "/"),
  fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
);

function headersFor(game: string, payload: Buffer | undefined, auth?: string, type?: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (auth !== undefined) headers.authorization = auth;
  if (type !== undefined) headers["content-type"] = type;
  const size = payload?.length ?? 0;
  if (game === "shorter") headers["content-length"] = String(Math.max(0, size - 1 - Math.floor(size / 3)));
  if (game === "huge") headers["content-length"] = String(BODY_LIMIT * 1000);
  if (game === "garbage") headers["content-length"] = "12abc";
  if (game === "negative") headers["content-length"] = "-5";
  if (game === "chunked+length") {
    headers["content-length"] = String(size);
    headers["transfer-encoding"] = "chunked";
  }
  if (game === "natural" && payload !== undefined) headers["content-length"] = String(size);
  return headers;
}

function checkAnswer(sentMethod: string, response: RawResponse): void {
  expect(response.status, response.text).toBeLessThan(500);
  if (sentMethod === "HEAD") return;
  expect(response.headers["content-type"]).toBe("application/json");
  const parsed = JSON.parse(response.text) as Record<string, unknown>;
  if (response.status >= 400) {
    expect(parsed.success).toBe(false);
    expect(typeof parsed.message).toBe("string");
    expect(Object.keys(parsed).sort()).toEqual(["message", "success"]);
  } else {
    expect(response.status).toBe(200);
    expect(parsed.success).toBe(true);
  }
}

it("random methods, paths, headers and bodies never get a 5xx or a non-JSON answer", { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(method, path, body, authorization, contentType, lengthGame, async (m, p, b, auth, type, game) => {
      const payload = typeof b === "string" ? Buffer.from(b, "utf8") : b;
      const responses = await request1Raw(t.port, { method: m, path: p, headers: headersFor(game, payload, auth, type), body: payload });
      expect(responses.length, "no answer at all").toBeGreaterThan(0);
      responses.forEach((response, i) => checkAnswer(i === 0 ? m : "", response));
    }),
    { numRuns: 200 },
  );
  const after = await request1(t.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } });
  expect(after.status).toBe(200);
  expect(t.logger.entries.filter((e) => e.level === "error")).toEqual([]);
});

it("the same over cleartext HTTP/2", { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(method, path, body, authorization, contentType, async (m, p, b, auth, type) => {
      const headers: Record<string, string> = {};
      if (auth !== undefined) headers.authorization = auth;
      if (type !== undefined) headers["content-type"] = type;
      const response = await request2(t.port, { method: m, path: p, headers, body: m === "HEAD" ? undefined : b });
      checkAnswer(m, response);
    }),
    { numRuns: 100 },
  );
  const after = await request2(t.port, { body: '{"cmd":"stats"}', headers: { authorization: PLAIN_AUTH } });
  expect(after.status).toBe(200);
  expect(t.logger.entries.filter((e) => e.level === "error")).toEqual([]);
});
