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
    }, { endStream: false });
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

/** One response parsed off a raw HTTP/1.1 byte stream. */
export interface ParsedResponse extends RawResponse {
  /** The header block as sent, for diagnostics. */
  head: string;
}

/**
 * Sends a hand-written HTTP/1.1 request (exactly these headers, plus Host and Connection: close) and parses
 * every response the server writes before it closes. The first answers the request; more can follow
 * when a body game left bytes that the server then reads as a (malformed) next request.
 */
export async function request1Raw(port: number, req: RawRequest, ms = 3000): Promise<ParsedResponse[]> {
  const lines = [`${req.method ?? "POST"} ${req.path ?? "/internal/migrations/"} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close"];
  for (const [name, value] of Object.entries(req.headers ?? {})) lines.push(`${name}: ${value}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  const raw = await rawExchange(port, [req.body === undefined ? head : Buffer.concat([head, Buffer.from(req.body)])], ms);
  return parseResponses(Buffer.from(raw, "latin1"), req.method === "HEAD");
}

function parseResponses(bytes: Buffer, firstIsHead: boolean): ParsedResponse[] {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf("\r\n\r\n", offset, "latin1");
    if (end < 0) throw new Error(`incomplete response head: ${bytes.subarray(offset, offset + 200).toString("latin1")}`);
    const head = bytes.subarray(offset, end).toString("latin1");
    const [statusLine, ...headerLines] = head.split("\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]);
    const headers: http.IncomingHttpHeaders = {};
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    // A HEAD answer has no body, unless the server answered a malformed request without knowing its method.
    const bodyless = responses.length === 0 && firstIsHead && bytes.toString("latin1", end + 4, end + 9) !== "{\"suc";
    const length = bodyless ? 0 : Number(headers["content-length"] ?? 0);
    const text = bytes.subarray(end + 4, end + 4 + length).toString("utf8");
    responses.push({ status, headers, text, head });
    offset = end + 4 + length;
  }
  return responses;
}
