import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "../../../src/core/errors.ts";
import { asUnavailable } from "../../../src/stores/postgres/pg-pool.ts";

/** An error as pg or the socket layer raises it: a message and a code. */
const raised = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

describe("which PostgreSQL errors mean the database cannot be reached", () => {
  it.each([
    ["connections refused (the server is down)", raised("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
    ["the database was dropped", raised('database "shop" does not exist', "3D000")],
    ["the backend was terminated", raised("terminating connection due to administrator command", "57P01")],
    ["the server is starting or stopping", raised("the database system is shutting down", "57P03")],
    ["too many connections", raised("sorry, too many clients already", "53300")],
    ["the role may no longer log in", raised('password authentication failed for user "app"', "28P01")],
    ["the connection broke", raised("Connection terminated unexpectedly")],
    ["no connection in time", raised("timeout exceeded when trying to connect")],
  ])("%s → DatabaseUnavailableError with the reason", (_why, error) => {
    const mapped = asUnavailable(error);
    expect(mapped).toBeInstanceOf(DatabaseUnavailableError);
    expect((mapped as Error).message).toBe(`database unavailable: ${error.message}`);
    expect((mapped as Error).cause).toBe(error);
  });

  it.each([
    ["a statement's syntax error", raised('syntax error at or near "SELEC"', "42601")],
    ["a missing table", raised('relation "_migration_state" does not exist', "42P01")],
    ["a unique violation", raised("duplicate key value violates unique constraint", "23505")],
    ["a bug", new TypeError("x is undefined")],
  ])("%s stays what it is (an internal error)", (_why, error) => {
    expect(asUnavailable(error)).toBe(error);
  });
});
