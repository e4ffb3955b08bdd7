import { afterEach, describe, expect, it } from "vitest";
import { startPgService, type PgSetup } from "../helpers/pg-service.ts";

let setup: PgSetup | undefined;
afterEach(async () => {
  await setup?.dispose();
  setup = undefined;
});

/** A column of every kind of value a transform's rows carry through COPY, with NULLs and awkward text. */
const TYPES_SCHEMA = `
CREATE TYPE mood AS ENUM ('calm', 'tense');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE sample (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  label text, raw bytea, tags text[], counts integer[], doc jsonb, doc_json json, amount numeric(14, 4), ratio real,
  at timestamptz, local_at timestamp, day date, span interval, token uuid, ok boolean, feeling mood, size positive,
  shout text GENERATED ALWAYS AS (upper(label)) STORED
);
INSERT INTO sample (label, raw, tags, counts, doc, doc_json, amount, ratio, at, local_at, day, span, token, ok, feeling, size)
SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE E'l\\t' || i || E'\\n\\\\ \\'q\\' ünï ☃' END,
       CASE WHEN i % 4 = 0 THEN NULL ELSE decode(lpad(to_hex(i), 8, '0') || '00ff5c09', 'hex') END,
       ARRAY['a' || i, E'b\\tc', NULL, 'd"e', E'f\\\\g'], ARRAY[i, -i],
       jsonb_build_object('i', i, 'list', jsonb_build_array(1, 'two', NULL), 'text', E'x\\ty\\\\z'),
       ('{"k": ' || i || ', "s": "a\\\\tb"}')::json,
       i * 1.2345, i / 3.0, timestamptz '2024-02-29 23:59:59.123456+02' + i * interval '1 minute',
       timestamp '1999-12-31 23:59:59.999999' + i * interval '1 second', date '2000-01-01' + i, i * interval '1 hour 2 minutes',
       md5(i::text)::uuid, i % 2 = 0, CASE WHEN i % 2 = 0 THEN 'calm' ELSE 'tense' END::mood, i
FROM generate_series(1, 7000) i;
`;

const checksum = async (s: PgSetup): Promise<string> =>
  String((await s.db.query("SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS sum FROM sample t"))[0]!.sum);

describe("transform values through COPY (postgres)", () => {
  it("an identity transform leaves every value of every type exactly as it was, NULLs and identity included", async () => {
    setup = await startPgService(TYPES_SCHEMA, {
      "0001_identity.mjs": `export default { tables: ["sample"], transform: { sample: (row) => row } };`,
    });
    const before = await checksum(setup);
    expect(await setup.run("finalize")).toMatchObject({ status: "finalized" });
    expect(await checksum(setup)).toBe(before);
    // The identity sequence moved along: the next row gets a fresh id.
    await setup.db.exec("INSERT INTO sample (label) VALUES ('next')");
    expect(await setup.db.query("SELECT id, shout FROM sample WHERE label = 'next'")).toEqual([{ id: "7001", shout: "NEXT" }]);
  });

  it("objects and arrays a transform returns land in JSON columns as JSON, strings as JSON text; arrays in array columns", async () => {
    setup = await startPgService(TYPES_SCHEMA, {
      "0001_json.mjs": `export default {
        tables: ["sample"],
        async dataDefinition(db) { await db.exec("ALTER TABLE sample ADD COLUMN extra jsonb"); },
        transform: { sample: (row) => ({ ...row, doc: ["x", { n: Number(row.id) }], extra: '{"raw": true}', doc_json: { at: row.at }, tags: ["t" + row.id, null] }) },
      };`,
    });
    expect(await setup.run("finalize")).toMatchObject({ status: "finalized" });
    const [row] = await setup.db.query("SELECT doc, extra, doc_json, tags FROM sample WHERE id = 3");
    expect(row).toEqual({
      doc: ["x", { n: 3 }],
      extra: { raw: true },
      // A Date inside an object is written as JSON.stringify writes it: UTC, milliseconds.
      doc_json: { at: "2024-02-29T22:02:59.123Z" },
      tags: ["t3", null],
    });
  });

  it("values a transform changes in place are written as changed; the values it leaves keep their exact text", async () => {
    setup = await startPgService(TYPES_SCHEMA, {
      "0001_in_place.mjs": `export default {
        tables: ["sample"],
        transform: { sample: (row) => {
          // The row object itself, a Date, a json value and an array, each changed in place.
          if (row.label !== null) row.label = row.label + "!";
          if (row.at !== null) row.at.setUTCFullYear(2000);
          row.doc_json.k = -1;
          row.counts.push(0);
          return row;
        } },
      };`,
    });
    const untouched = "md5(string_agg((id, raw, tags, doc, amount, ratio, local_at, day, span, token, ok, feeling, size)::text, '|' ORDER BY id))";
    const [before] = await setup.db.query(`SELECT ${untouched} AS sum, count(*) FILTER (WHERE label IS NOT NULL) AS labels FROM sample`);
    const [third] = await setup.db.query("SELECT label, at::text FROM sample WHERE id = 3");
    expect(await setup.run("finalize")).toMatchObject({ status: "finalized" });
    expect(await setup.db.query(`SELECT ${untouched} AS sum, count(*) FILTER (WHERE label LIKE '%!') AS labels FROM sample`)).toEqual([before]);
    expect(await setup.db.query("SELECT DISTINCT extract(year FROM at AT TIME ZONE 'UTC') AS year, doc_json->>'k' AS k FROM sample")).toEqual([{ year: "2000", k: "-1" }]);
    const [row] = await setup.db.query("SELECT label, at::text, counts FROM sample WHERE id = 3");
    expect(row).toEqual({ label: `${String(third!.label)}!`, at: String(third!.at).replace(/^2024/, "2000").replace(/(\.\d{3})\d+/, "$1"), counts: [3, -3, 0] });
  });
});
