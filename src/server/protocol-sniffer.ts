import net from "node:net";
import type { Logger } from "./logger.ts";

/** The client connection preface of HTTP/2 (RFC 9113 §3.4); cleartext h2 with prior knowledge starts with it. */
export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** How long a new connection may stay silent before it is dropped. */
const SNIFF_TIMEOUT_MS = 30_000;

/** Which protocol the bytes seen so far announce; undefined while they are a strict prefix of the preface. */
export function sniffProtocol(seen: Buffer): "h2" | "http1" | undefined {
  const length = Math.min(seen.length, HTTP2_PREFACE.length);
  if (!seen.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length))) return "http1";
  return seen.length >= HTTP2_PREFACE.length ? "h2" : undefined;
}

/** Where a connection goes once its protocol is known; the target emits `connection` on its server. */
export interface SnifferTargets {
  /** Receives HTTP/1.x connections. */
  http1(socket: net.Socket): void;
  /** Receives cleartext HTTP/2 connections. */
  h2(socket: net.Socket): void;
}

/** A net.Server that reads the first bytes of each connection, puts them back and hands the socket on. */
export function createProtocolSniffer(targets: SnifferTargets, logger: Logger): net.Server {
  return net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on("error", (error: NodeJS.ErrnoException) => {
      logger.warn({ msg: "socket error", code: error.code });
    });
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
    let seen: Buffer = Buffer.alloc(0);
    const stop = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.setTimeout(0);
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const protocol = sniffProtocol(seen);
      if (protocol === undefined) return;
      stop();
      socket.pause();
      socket.unshift(seen);
      if (protocol === "h2") {
        // Half-open sockets suit the HTTP/1 server only; an HTTP/2 session never closes one the client ended.
        socket.allowHalfOpen = false;
        targets.h2(socket);
      } else {
        targets.http1(socket);
        // The HTTP/1 server reads the handle directly and never resumes a paused socket itself;
        // resuming here flushes the unshifted bytes into its parser first.
        socket.resume();
      }
    };
    const onEnd = () => {
      stop();
      socket.destroy();
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
  });
}
