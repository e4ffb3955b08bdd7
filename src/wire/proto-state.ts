import { MigrationState as CoreState } from "../core/states.ts";
import { MigrationState as ProtoState } from "../gen/migrations/v1/migrations_pb.ts";

const TO_PROTO: Readonly<Record<CoreState, ProtoState>> = {
  [CoreState.MIGRATION_REQUIRED]: ProtoState.MIGRATION_REQUIRED,
  [CoreState.MIGRATION_RUNNING]: ProtoState.MIGRATION_RUNNING,
  [CoreState.MIGRATION_FAILED]: ProtoState.MIGRATION_FAILED,
  [CoreState.FINALIZATION_REQUIRED]: ProtoState.FINALIZATION_REQUIRED,
  [CoreState.FINALIZATION_RUNNING]: ProtoState.FINALIZATION_RUNNING,
  [CoreState.FINALIZED]: ProtoState.FINALIZED,
  [CoreState.FINALIZATION_FAILED]: ProtoState.FINALIZATION_FAILED,
};

/** The proto enum value of a core state string (`migration_required` → `MIGRATION_REQUIRED`). */
export function toProtoState(state: CoreState): ProtoState {
  return TO_PROTO[state];
}

const FROM_PROTO: ReadonlyMap<ProtoState, CoreState> = new Map(
  Object.entries(TO_PROTO).map(([core, proto]) => [proto, core as CoreState]),
);

/** The core state string of a proto enum value; throws on UNSPECIFIED, which the service never sends. */
export function fromProtoState(state: ProtoState): CoreState {
  const name = FROM_PROTO.get(state);
  if (name === undefined) throw new Error(`The service sent an unknown state (${state})`);
  return name;
}
