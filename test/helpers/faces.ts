import { ConnectError } from "@connectrpc/connect";
import { MigrationState } from "../../src/gen/migrations/v1/migrations_pb.ts";
import type { TestService } from "./test-service.ts";

/** What any face answers to a run command, normalised so one table test serves both faces. */
export type FaceAnswer =
  | { ok: true; status: string; output?: string; exception?: string }
  | { ok: false; status: number | string; message: string };

/** A way to send a command: the JSON route or a generated client. */
export interface Face {
  /** `json`, `connect` or `grpc`. */
  name: string;
  /** Sends migrate / finalize / reset. */
  send(service: TestService, cmd: "migrate" | "finalize" | "reset", verbose?: boolean): Promise<FaceAnswer>;
  /** The status this face uses for a conflicting state (HTTP 400 or Connect's failed_precondition). */
  conflict: number | string;
}

/** `MIGRATION_STATE_FINALIZED` (enum number) → `finalized`. */
export function stateName(value: MigrationState): string {
  return MigrationState[value]!.toLowerCase();
}

const jsonFace: Face = {
  name: "json",
  conflict: 400,
  async send(service, cmd, verbose = false) {
    const { status, body } = await service.post({ cmd, verbose });
    if (status !== 200) return { ok: false, status, message: String(body.message) };
    const { success, ...rest } = body;
    if (success !== true) throw new Error(`200 without success: ${JSON.stringify(body)}`);
    return { ok: true, ...(rest as { status: string }) };
  },
};

function rpcFace(name: "connect" | "grpc"): Face {
  return {
    name,
    conflict: "failed_precondition",
    async send(service, cmd, verbose = false) {
      const client = service[name];
      try {
        const call = cmd === "migrate" ? client.migrate : cmd === "finalize" ? client.finalize : client.reset;
        const response = await call({ verbose });
        const answer: FaceAnswer = { ok: true, status: stateName(response.status) };
        if (response.output !== undefined) answer.output = response.output;
        if (response.exception !== undefined) answer.exception = response.exception;
        return answer;
      } catch (error) {
        const e = ConnectError.from(error);
        return { ok: false, status: codeName(e.code), message: e.rawMessage };
      }
    },
  };
}

function codeName(code: number): string {
  const names = ["ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
    "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented",
    "internal", "unavailable", "data_loss", "unauthenticated"];
  return names[code] ?? String(code);
}

/** The JSON route and the Connect face; the conformance suite loops over both. */
export const FACES: Face[] = [jsonFace, rpcFace("connect")];

/** gRPC over h2c on the same port. */
export const GRPC_FACE: Face = rpcFace("grpc");
