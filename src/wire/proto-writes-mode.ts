import type { WritesMode as CoreMode } from "../core/table-writes.ts";
import { WritesMode as ProtoMode } from "../gen/migrations/v1/migrations_pb.ts";

const TO_PROTO: Readonly<Record<CoreMode, ProtoMode>> = {
  captured: ProtoMode.CAPTURED,
  protected: ProtoMode.PROTECTED,
};

/** The proto enum value of a core writes mode (`captured` → `CAPTURED`). */
export function toProtoWritesMode(mode: CoreMode): ProtoMode {
  return TO_PROTO[mode];
}

const FROM_PROTO: ReadonlyMap<ProtoMode, CoreMode> = new Map(
  Object.entries(TO_PROTO).map(([core, proto]) => [proto, core as CoreMode]),
);

/** The core writes mode of a proto enum value; throws on UNSPECIFIED, which the service never sends. */
export function fromProtoWritesMode(mode: ProtoMode): CoreMode {
  const name = FROM_PROTO.get(mode);
  if (name === undefined) throw new Error(`The service sent an unknown writes mode (${mode})`);
  return name;
}
