import type { WritesMode as CoreMode } from "../core/table-writes.ts";
import { WritesMode as ProtoMode } from "../gen/migrations/v1/migrations_pb.ts";
import { protoEnum } from "./proto-enum.ts";

const MODES = protoEnum<CoreMode, ProtoMode>({ captured: ProtoMode.CAPTURED, protected: ProtoMode.PROTECTED }, "writes mode");

/** The proto enum value of a core writes mode (`captured` → `CAPTURED`). */
export const toProtoWritesMode = MODES.toProto;

/** The core writes mode of a proto enum value; throws on UNSPECIFIED, which the service never sends. */
export const fromProtoWritesMode = MODES.fromProto;
