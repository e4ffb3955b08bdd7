import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ConflictError, DatabaseUnavailableError } from "../../src/core/errors.ts";
import { BadRequestError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, UnauthorizedError } from "../../src/server/request-errors.ts";
import { ALL_STATES } from "../../src/core/states.ts";
import { MigrationState } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { describeError, toConnectError } from "../../src/server/error-map.ts";
import { toProtoState } from "../../src/wire/proto-state.ts";
import { MemoryLogger } from "./support/start-server.ts";

describe("the error table", () => {
  it.each([
    { error: new BadRequestError("No command provided"), status: 400, code: Code.InvalidArgument },
    { error: new ConflictError("Migration is running, only 'stats' command is allowed."), status: 400, code: Code.FailedPrecondition },
    { error: new UnauthorizedError(), status: 401, code: Code.Unauthenticated },
    { error: new PayloadTooLargeError("too large"), status: 413, code: Code.ResourceExhausted },
    { error: new MethodNotAllowedError("use POST"), status: 405, code: Code.Unimplemented },
    { error: new NotFoundError("Not found"), status: 404, code: Code.NotFound },
    { error: new DatabaseUnavailableError("connect ECONNREFUSED 127.0.0.1:5432"), status: 503, code: Code.Unavailable },
  ])("$error.name → $status / $code", ({ error, status, code }) => {
    const logger = new MemoryLogger();
    expect(describeError(error, logger)).toEqual({ status, code, message: error.message });
    const connectError = toConnectError(error, logger);
    expect(connectError.code).toBe(code);
    expect(connectError.rawMessage).toBe(error.message);
    expect(logger.entries).toEqual([]);
  });

  it.each([new Error("db gone"), new TypeError("x is undefined"), "a string", undefined])("unexpected %s → 500 / internal, details logged", (thrown) => {
    const logger = new MemoryLogger();
    expect(describeError(thrown, logger)).toEqual({ status: 500, code: Code.Internal, message: "Internal server error" });
    expect(logger.entries.map((e) => e.level)).toEqual(["error"]);
  });

  it("passes ConnectErrors through unchanged", () => {
    const original = new ConnectError("deadline", Code.DeadlineExceeded);
    expect(toConnectError(original, new MemoryLogger())).toBe(original);
  });
});

describe("toProtoState", () => {
  it.each(ALL_STATES)("%s maps to the enum value of the same name", (state) => {
    expect(MigrationState[toProtoState(state)]).toBe(state.toUpperCase());
  });
});
