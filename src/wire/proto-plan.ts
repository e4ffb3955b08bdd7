import { create } from "@bufbuild/protobuf";
import type { Plan, PlannedRoute as CoreRoute } from "../core/plan.ts";
import { PlannedRoute, type PlanResponse, PlanResponseSchema } from "../gen/migrations/v1/migrations_pb.ts";
import { protoEnum } from "./proto-enum.ts";
import { fromProtoState, toProtoState } from "./proto-state.ts";
import { fromProtoWritesMode, toProtoWritesMode } from "./proto-writes-mode.ts";

const ROUTES = protoEnum<CoreRoute, PlannedRoute>(
  { copy: PlannedRoute.COPY, transform: PlannedRoute.TRANSFORM, sql: PlannedRoute.SQL, create: PlannedRoute.CREATE, in_place: PlannedRoute.IN_PLACE },
  "planned route",
);

/** The PlanResponse of a core Plan. */
export function toPlanResponse(plan: Plan): PlanResponse {
  return create(PlanResponseSchema, {
    status: toProtoState(plan.status),
    migrations: plan.migrations.map((m) => ({
      index: m.index,
      name: m.name,
      prerequisites: m.prerequisites,
      tables: m.tables.map((t) => ({
        table: t.table,
        rows: BigInt(t.rows),
        route: ROUTES.toProto(t.route),
        writes: toProtoWritesMode(t.writes),
        writesReason: t.writesReason,
        ...(t.estimatedSeconds !== null && { estimatedSeconds: t.estimatedSeconds }),
      })),
    })),
    ...(plan.estimatedSeconds !== null && { estimatedSeconds: plan.estimatedSeconds }),
    ready: plan.ready,
  });
}

/** The core Plan of a PlanResponse (the inverse of toPlanResponse). */
export function fromPlanResponse(response: PlanResponse): Plan {
  return {
    status: fromProtoState(response.status),
    migrations: response.migrations.map((m) => ({
      index: m.index,
      name: m.name,
      prerequisites: m.prerequisites,
      tables: m.tables.map((t) => ({
        table: t.table,
        rows: Number(t.rows),
        route: ROUTES.fromProto(t.route),
        writes: fromProtoWritesMode(t.writes),
        writesReason: t.writesReason,
        estimatedSeconds: t.estimatedSeconds ?? null,
      })),
    })),
    estimatedSeconds: response.estimatedSeconds ?? null,
    ready: response.ready,
  };
}
