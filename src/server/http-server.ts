import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { MigrationApi } from "../core/results.ts";
import { createAuthenticator } from "./auth.ts";
import { createClientErrorListener } from "./client-error.ts";
import { createAuthInterceptor, createErrorInterceptor } from "./connect-interceptors.ts";
import { file_grpc_reflection_v1_reflection, ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.ts";
import { file_migrations_v1_migrations } from "../gen/migrations/v1/migrations_pb.ts";
import { createConnectRoutes } from "./connect-routes.ts";
import { answerDecodeFailuresAsInvalidArgument } from "./decode-errors.ts";
import type { NodeRequest } from "./json-body.ts";
import { createJsonRoute } from "./json-route.ts";
import { listenError } from "./listen-error.ts";
import type { Logger } from "./logger.ts";
import { ServiceMetrics } from "./metrics.ts";
import { createOpsRoutes } from "./ops-routes.ts";
import { createProtocolSniffer } from "./protocol-sniffer.ts";
import { createReflectionRoutes } from "./reflection-routes.ts";
import { createRequestLogInterceptor } from "./request-log-interceptor.ts";
import { RequestTracker, type RequestEvent } from "./request-tracker.ts";
import type { NodeResponse } from "./send-json.ts";

/** What the composition root needs. */
export interface HttpServerOptions {
  /** The application face both the JSON route and the RPCs call. */
  api: MigrationApi;
  /** The password clients must send, or the byte forms of it they may send; never logged. */
  password: string | readonly Uint8Array[];
  /** Largest accepted request body (JSON route and RPC messages) in bytes. */
  bodyLimit: number;
  /** Receives events and the details of faults. */
  logger: Logger;
  /** How long close() lets running requests finish before cutting connections; default 5000 ms. */
  closeGraceMs?: number;
  /** Metrics that /metrics renders and requests are counted in; default a fresh set without process metrics. */
  metrics?: ServiceMetrics;
  /** Removes secrets from error texts that /ready shows; default unchanged. */
  redact?: (text: string) => string;
  /** How long /ready and /metrics wait for stats; default 2000 ms. */
  statsTimeoutMs?: number;
  /** How long a client may take to send a request's headers, and then its whole request; default CLIENT_TIMEOUTS. */
  clientTimeouts?: Partial<ClientTimeouts>;
}

/** The deadlines a client must meet, in ms: slow or half-open clients are disconnected, never kept. */
export interface ClientTimeouts {
  /** From the connection (or the last response) to the end of the request headers. */
  headersMs: number;
  /** From the connection (or the last response) to the end of the request body. */
  requestMs: number;
}

/** headers 20 s, whole request 60 s. */
export const CLIENT_TIMEOUTS: ClientTimeouts = { headersMs: 20_000, requestMs: 60_000 };

/** One port for the JSON route and Connect, gRPC and gRPC-Web, over HTTP/1.1 and cleartext HTTP/2. */
export interface HttpServer {
  /** Starts listening; port 0 picks a free port, which the result reports. */
  listen(port: number, host: string): Promise<{ port: number }>;
  /** Stops accepting, lets running requests finish (up to the grace time), closes idle connections. */
  close(): Promise<void>;
}

/**
 * Builds the server: the ops endpoints (/health, /ready, /metrics), then connect-node routes with the
 * JSON route as fallback, behind the protocol sniffer. Every request ends in one `request` log line
 * {face, command, status, duration_ms} and in the request metrics.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { api, bodyLimit, logger } = options;
  const authenticate = createAuthenticator(options.password);
  const metrics = options.metrics ?? new ServiceMetrics({ defaultMetrics: false });
  const tracker = new RequestTracker((event) => {
    logger.info(requestLine(event));
    metrics.observeRequest(event);
  });
  let closing = false;
  const ops = createOpsRoutes({
    api, metrics, logger, redact: options.redact, statsTimeoutMs: options.statsTimeoutMs, closing: () => closing,
  });
  const handler = connectNodeAdapter({
    routes: (router) => {
      createConnectRoutes(api)(router);
      createReflectionRoutes([file_migrations_v1_migrations, file_grpc_reflection_v1_reflection])(router);
      answerDecodeFailuresAsInvalidArgument(router);
    },
    fallback: createJsonRoute({
      api, authenticate, bodyLimit, logger,
      onCommand: (req, cmd) => {
        const record = tracker.record(req);
        if (record) record.command = cmd;
      },
    }),
    interceptors: [createRequestLogInterceptor(), createErrorInterceptor(logger), createAuthInterceptor(authenticate, [ServerReflection.typeName])],
    contextValues: (req) => tracker.contextValues(req),
    readMaxBytes: bodyLimit,
  });
  const dispatch = (req: NodeRequest, res: NodeResponse) => {
    const record = tracker.start(req, res);
    if (!ops(req, res, record)) handler(req, res);
  };
  const timeouts = { ...CLIENT_TIMEOUTS, ...options.clientTimeouts };

  const http1 = http.createServer({
    requestTimeout: timeouts.requestMs,
    headersTimeout: timeouts.headersMs,
    keepAliveTimeout: 5_000,
    // Node looks for expired requests only this often (default 30 s), so it bounds how late a timeout fires.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, timeouts.headersMs / 4)),
  });
  http1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.setHeader("connection", "close");
    dispatch(req, res);
  });
  http1.on("checkContinue", (req: http.IncomingMessage, res: http.ServerResponse) => {
    // A body that will be refused anyway is not asked for; the route answers 413 (or earlier errors).
    if (!(Number(req.headers["content-length"]) > bodyLimit)) res.writeContinue();
    http1.emit("request", req, res);
  });
  http1.on("clientError", createClientErrorListener(logger));

  const h2 = http2.createServer((req, res) => {
    cancelUnlessReceived(req, timeouts.requestMs);
    dispatch(req, res);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    closeWhileIdle(session, timeouts.headersMs);
    session.once("close", () => sessions.delete(session));
  });
  h2.on("sessionError", (error: NodeJS.ErrnoException) => logger.warn({ msg: "HTTP/2 session error", code: error.code }));

  const sniffing = new Set<Socket>();
  const hand = (target: http.Server | http2.Http2Server) => (socket: Socket) => {
    sniffing.delete(socket);
    target.emit("connection", socket);
  };
  const server = createProtocolSniffer({ http1: hand(http1), h2: hand(h2) }, logger);
  server.on("connection", (socket: Socket) => {
    sniffing.add(socket);
    socket.once("close", () => sniffing.delete(socket));
  });

  return {
    async listen(port, host) {
      await new Promise<void>((resolve, reject) => {
        const refused = (error: Error) => reject(listenError(error, host, port));
        server.once("error", refused);
        server.listen(port, host, () => {
          server.off("error", refused);
          resolve();
        });
      });
      // Only once listening: a failed listen is the caller's one error, not also a log line.
      server.on("error", (error) => logger.error({ msg: "server error", err: error.message }));
      // The HTTP/1 server never listens itself; its 'listening' event starts the connection tracking
      // behind requestTimeout, headersTimeout and closeIdleConnections().
      http1.emit("listening");
      const address = server.address() as AddressInfo;
      logger.info({ msg: "listening", host, port: address.port });
      return { port: address.port };
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sniffing) socket.destroy();
      http1.close(() => {});
      for (const session of sessions) session.close();
      const force = setTimeout(() => {
        http1.closeAllConnections();
        for (const session of sessions) session.destroy();
      }, options.closeGraceMs ?? 5_000);
      await closed;
      clearTimeout(force);
      logger.info({ msg: "closed" });
    },
  };
}

/** Cancels an HTTP/2 stream whose request has not fully arrived within `ms` (a long response stream is fine). */
function cancelUnlessReceived(req: http2.Http2ServerRequest, ms: number): void {
  if (req.readableEnded) return;
  const timer = setTimeout(() => req.stream.close(http2.constants.NGHTTP2_CANCEL), ms);
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once("end", clear);
  req.stream.once("close", clear);
}

/**
 * Destroys an HTTP/2 session that has no open stream for `ms`: a client that connects and never sends a
 * request (or stops sending any) holds nothing. A session with an open stream (a WatchStats follower) stays.
 */
function closeWhileIdle(session: http2.ServerHttp2Session, ms: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => session.destroy(), ms);
    timer.unref();
  };
  arm();
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open += 1;
    clearTimeout(timer);
    stream.once("close", () => {
      open -= 1;
      if (open === 0 && !session.destroyed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
}

/** The `request` log line: face, command, status and duration in ms (0.1 ms precision). Never headers. */
function requestLine(event: RequestEvent): object {
  return {
    msg: "request", face: event.face, command: event.command, status: event.status,
    duration_ms: Math.round(event.durationMs * 10) / 10,
  };
}
