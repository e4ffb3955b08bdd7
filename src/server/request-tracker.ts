import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";
import { clientAddress, clientAddressKey } from "./cancel-by.ts";
import type { NodeRequest } from "./json-body.ts";
import type { NodeResponse } from "./send-json.ts";

/** The way a request came in: the JSON route, one of the three RPC protocols, or an ops endpoint. */
export type Face = "json" | "connect" | "grpc" | "grpc-web" | "ops";

/** What the handlers learn about a request while it runs; emitted once it ends. */
export interface RequestRecord {
  /** The face; `json` until the RPC router or the ops routes claim the request. */
  face: Face;
  /** `cmd` of the JSON route, the RPC method name, the ops endpoint; `none` while unknown. */
  command: string;
  /** The Connect code name of an RPC (`ok` on success); unset for the JSON and ops faces, whose HTTP status counts. */
  status?: string;
}

/** One ended request, as logged and counted. */
export interface RequestEvent {
  /** The face. */
  face: Face;
  /** The command (see RequestRecord.command). */
  command: string;
  /** HTTP status for json/ops (`499` when the client left first), the Connect code name for RPCs. */
  status: string;
  /** Time from the request's arrival to its last byte, in milliseconds. */
  durationMs: number;
}

/** The typed context value through which the RPC interceptor reaches the record of its request. */
export const requestRecordKey = createContextKey<RequestRecord | undefined>(undefined, { description: "request record" });

/** The face of a request the RPC router accepted, from its content type. */
export function rpcFace(contentType: string | undefined): Face {
  const type = (contentType ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/**
 * Follows every request of the server from arrival to end and reports it once to `observe`: the
 * handlers fill in face, command and RPC status on its record as they learn them.
 */
export class RequestTracker {
  private readonly records = new WeakMap<NodeRequest, RequestRecord>();

  constructor(private readonly observe: (event: RequestEvent) => void) {}

  /** Starts following a request; reports it when its response finished or its connection closed. */
  start(req: NodeRequest, res: NodeResponse): RequestRecord {
    const record: RequestRecord = { face: "json", command: "none" };
    this.records.set(req, record);
    const started = performance.now();
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      const finished = res.writableFinished;
      const aborted = record.face === "json" || record.face === "ops" ? "499" : "canceled";
      const status = record.status ?? (finished ? String(res.statusCode) : aborted);
      this.observe({ face: record.face, command: record.command, status, durationMs: performance.now() - started });
    };
    res.once("finish", report);
    res.once("close", report);
    return record;
  }

  /** The record of a request being followed; undefined for one that never went through start(). */
  record(req: NodeRequest): RequestRecord | undefined {
    return this.records.get(req);
  }

  /** connect-node's `contextValues` hook: marks the request as an RPC of its protocol and hands its record (and the client's address) to the handlers. */
  contextValues(req: NodeRequest): ContextValues {
    const record = this.records.get(req);
    if (record) {
      record.face = rpcFace(req.headers["content-type"]);
      record.command = (req.url ?? "").split("?", 1)[0]!.split("/").pop() || "none";
    }
    return createContextValues().set(requestRecordKey, record).set(clientAddressKey, clientAddress(req));
  }
}
