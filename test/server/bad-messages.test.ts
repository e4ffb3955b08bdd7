import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.server.close());

const STATS = "/migrations.v1.MigrationService/Stats";
/** Bytes that are no protobuf message: a field tag whose varint never ends. */
const NOT_PROTOBUF = Buffer.from([0xff, 0xff, 0xff]);

/** A gRPC call over h2: the status and message from the trailers (or a trailers-only answer). */
function grpcCall(body: Buffer): Promise<{ status: string | undefined; message: string | undefined }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(t.baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": STATS, "content-type": "application/grpc+proto", te: "trailers", authorization: PLAIN_AUTH });
    let status: string | undefined;
    let message: string | undefined;
    const take = (headers: http2.IncomingHttpHeaders) => {
      status ??= headers["grpc-status"] as string | undefined;
      message ??= headers["grpc-message"] as string | undefined;
    };
    stream.on("response", take);
    stream.on("trailers", take);
    stream.on("data", () => {});
    stream.on("close", () => {
      session.close();
      resolve({ status, message: message === undefined ? undefined : decodeURIComponent(message) });
    });
    stream.end(body);
  });
}

/** A gRPC frame: flag 0, 4-byte length, the message. */
const frame = (message: Buffer, declared = message.length) => Buffer.concat([Buffer.from([0, 0, 0, 0, declared]), message]);

describe("a request message that cannot be decoded is the client's error", () => {
  it("Connect: bad protobuf answers 400 invalid_argument, as bad JSON does", async () => {
    for (const [contentType, body] of [["application/proto", NOT_PROTOBUF], ["application/json", Buffer.from("{nope")]] as const) {
      const response = await fetch(`${t.baseUrl}${STATS}`, {
        method: "POST", headers: { "content-type": contentType, authorization: PLAIN_AUTH, "connect-protocol-version": "1" }, body,
      });
      expect(response.status, contentType).toBe(400);
      expect(await response.json(), contentType).toMatchObject({ code: "invalid_argument" });
    }
  });

  it("gRPC: bad protobuf and a frame shorter than it declares answer INVALID_ARGUMENT (3)", async () => {
    expect(await grpcCall(frame(NOT_PROTOBUF))).toMatchObject({ status: "3", message: expect.stringMatching(/^parse binary:/) });
    expect((await grpcCall(frame(Buffer.from([1]), 9))).status).toBe("3");
  });

  it("gRPC: a good message still answers OK", async () => {
    expect((await grpcCall(frame(Buffer.alloc(0)))).status).toBe("0");
  });
});
