import { MigrationState as CoreState } from "../core/states.ts";
import { MigrationState as ProtoState } from "../gen/migrations/v1/migrations_pb.ts";
import { protoEnum } from "./proto-enum.ts";

const STATES = protoEnum<CoreState, ProtoState>(
  {
    [CoreState.MIGRATION_REQUIRED]: ProtoState.MIGRATION_REQUIRED,
    [CoreState.MIGRATION_RUNNING]: ProtoState.MIGRATION_RUNNING,
    [CoreState.MIGRATION_FAILED]: ProtoState.MIGRATION_FAILED,
    [CoreState.FINALIZATION_REQUIRED]: ProtoState.FINALIZATION_REQUIRED,
    [CoreState.FINALIZATION_RUNNING]: ProtoState.FINALIZATION_RUNNING,
    [CoreState.FINALIZED]: ProtoState.FINALIZED,
    [CoreState.FINALIZATION_FAILED]: ProtoState.FINALIZATION_FAILED,
  },
  "state",
);

/** The proto enum value of a core state string (`migration_required` → `MIGRATION_REQUIRED`). */
export const toProtoState = STATES.toProto;

/** The core state string of a proto enum value; throws on UNSPECIFIED, which the service never sends. */
export const fromProtoState = STATES.fromProto;
