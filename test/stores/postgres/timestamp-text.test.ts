import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIsoTimestamp } from "../../../src/stores/postgres/timestamp-text.ts";
import { createPostgresDatabase, type PostgresTestDatabase } from "../../helpers/postgres-target.ts";

let db: PostgresTestDatabase;
let client: pg.Client;
beforeAll(async () => {
  db = await createPostgresDatabase();
  client = await db.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** pg's own parser of timestamps (postgres-date). */
const parseDate = pg.types.getTypeParser(1184, "text") as (text: string) => Date | number | null;

/** Timestamps of every form PostgreSQL writes in the ISO DateStyle, as text of `type` in time zone `zone`. */
async function textsOf(type: "timestamptz" | "timestamp", zone: string): Promise<string[]> {
  await client.query(`SET TimeZone = '${zone}'`);
  const { rows } = await client.query<{ t: string }>({
    text: `SELECT t::${type}::text AS t FROM (
             SELECT timestamptz '2024-02-29 23:59:59.123456+02' + i * interval '977 minutes 13.000037 seconds' AS t FROM generate_series(-3000, 3000) i
             UNION ALL SELECT v::timestamptz FROM unnest(ARRAY[
               '0001-01-01 00:00:00+00', '0099-12-31 23:59:59+00', '0100-01-01 00:00:00.5+00', '1899-12-31 23:59:59.999999+00',
               '1970-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00', '10000-01-01 00:00:00+00', '0044-03-15 12:00:00 BC',
               'infinity', '-infinity', '1883-11-18 12:00:00+00', '2038-01-19 03:14:08.1+00']) v) s`,
  });
  return rows.map((r) => r.t);
}

describe("parseIsoTimestamp: pg's timestamp parser without regular expressions", () => {
  for (const zone of ["UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Amsterdam", "Pacific/Chatham"]) {
    for (const type of ["timestamptz", "timestamp"] as const) {
      it(`gives postgres-date's Date for every ${type} text PostgreSQL writes in ${zone}, and takes the shortcut for years 100-9999`, async () => {
        const texts = await textsOf(type, zone);
        for (const text of texts) {
          const fast = parseIsoTimestamp(text);
          // Every text but years 1-99 and 10000 on, BC and the infinities.
          const common = /^\d{4}-/.test(text) && Number(text.slice(0, 4)) >= 100 && !text.endsWith(" BC");
          expect({ text, shortcut: fast !== undefined }).toEqual({ text, shortcut: common });
          const expected = parseDate(text);
          const found = fast ?? expected;
          expect({ text, time: found instanceof Date ? found.getTime() : found }).toEqual({ text, time: expected instanceof Date ? expected.getTime() : expected });
        }
      });
    }
  }

  it("leaves forms it does not know to pg's parser", () => {
    for (const text of ["2024-01-01", "2024-01-01 00:00", "2024-01-01T00:00:00Z", "2024-01-01 00:00:00.+00", "2024-01-01 00:00:00+0", "2024-01-01 00:00:00+00:0", "2024-1-01 00:00:00+00"]) {
      expect(parseIsoTimestamp(text), text).toBeUndefined();
    }
  });
});
