import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** A request as a test builds it. */
export interface RawRequest {
  /** Default POST. */
  method?: string;
  /** Default `/internal/migrations/`. */
  path?: string;
  /** Sent as given (no defaults added beyond what Node's client adds). */
  headers?: Record<string, string>;
  /** Request body; none when undefined. */
  body?: string | Buffer;
}

/** What came back. */
export interface RawResponse {
  /** HTTP status. */
  status: number;
  /** Response headers (lowercase names). */
  headers: http.IncomingHttpHeaders;
  /** Body text. */
  text: string;
}

/** Sends one HTTP/1.1 request on its own connection (no agent, no keep-alive). */
export function request1(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: "127.0.0.1", port, method: req.method ?? "POST", path: req.path ?? "/internal/migrations/", headers: req.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(req.body);
  });
}

/** Sends one request over cleartext HTTP/2 with prior knowledge. */
export function request2(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": req.method ?? "POST",
      ":path": req.path ?? "/internal/migrations/",
      ...req.headers,
    });
    let headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (headers = h));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status: Number(headers[":status"]), headers, text: Buffer.concat(chunks).toString("utf8") });
    });
    stream.on("error", reject);
    stream.end(req.body);
  });
}

/** Writes raw bytes (in the given pieces, each flushed separately) and collects everything until the server closes or `ms` pass. */
export function rawExchange(port: number, pieces: (string | Buffer)[], ms = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    };
    const timer = setTimeout(done, ms);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", done);
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? done() : reject(error)));
    socket.on("connect", async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}

/** Parses a JSON body, failing the test with the text when it is not JSON. */
export function json(response: RawResponse): Record<string, unknown> {
  try {
    return JSON.parse(response.text) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (status ${response.status}): ${response.text.slice(0, 200)}`);
  }
}
