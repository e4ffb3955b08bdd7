import type { ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";

/** The text connect-es gives a request message it cannot decode from the protobuf binary format. */
const DECODE_FAILURE = "parse binary:";
/** gRPC status codes, as the `grpc-status` header/trailer carries them. */
const GRPC_INTERNAL = "13";
const GRPC_INVALID_ARGUMENT = "3";

/**
 * connect-es answers a request message it cannot decode (bad protobuf, a truncated message) with
 * `internal`, as if the server were at fault; connect-go and gRPC say `invalid_argument`. This wraps every
 * handler of `router` so that, on the Connect and gRPC protocols, such an answer says `invalid_argument`
 * (HTTP 400 on Connect). Call it after the services are registered.
 */
export function answerDecodeFailuresAsInvalidArgument(router: ConnectRouter): void {
  router.handlers.forEach((handler, i) => {
    const wrapped = async (request: Parameters<UniversalHandler>[0]) => relabel(await handler(request));
    (router.handlers as UniversalHandler[])[i] = Object.assign(wrapped, handler);
  });
}

async function relabel(response: UniversalServerResponse): Promise<UniversalServerResponse> {
  relabelGrpc(response.header);
  if (response.status === 500 && response.body !== undefined && response.header?.get("content-type")?.startsWith("application/json")) {
    return relabelConnectUnary(response, response.body);
  }
  if (response.body === undefined || response.trailer === undefined) return response;
  // gRPC trailers are filled in while the body is written: look once it is done.
  const { body, trailer } = response;
  return {
    ...response,
    body: (async function* () {
      yield* body;
      relabelGrpc(trailer);
    })(),
  };
}

function relabelGrpc(headers: Headers | undefined): void {
  if (headers?.get("grpc-status") !== GRPC_INTERNAL) return;
  if (!decodeURIComponent(headers.get("grpc-message") ?? "").startsWith(DECODE_FAILURE)) return;
  headers.set("grpc-status", GRPC_INVALID_ARGUMENT);
}

async function relabelConnectUnary(response: UniversalServerResponse, body: AsyncIterable<Uint8Array>): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const error = parseJson(bytes);
  if (error?.code !== "internal" || typeof error.message !== "string" || !error.message.startsWith(DECODE_FAILURE)) {
    return { ...response, body: once(bytes) };
  }
  const relabelled = Buffer.from(JSON.stringify({ ...error, code: "invalid_argument" }));
  response.header?.set("content-length", String(relabelled.byteLength));
  return { ...response, status: 400, body: once(relabelled) };
}

function parseJson(bytes: Buffer): { code?: unknown; message?: unknown } | null {
  try {
    return JSON.parse(bytes.toString("utf8")) as { code?: unknown; message?: unknown };
  } catch {
    return null;
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
