import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { copyRowsTransform, decodeField, encodeField } from "../../bench/copy-text-rows.ts";

describe("the bench pipeline's COPY text format", () => {
  it("decodes NULL and every backslash escape PostgreSQL writes or reads", () => {
    expect(decodeField("\\N")).toBeNull();
    expect(decodeField("plain")).toBe("plain");
    expect(decodeField("a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh")).toBe("a\tb\nc\rd\\e\bf\fg\vh");
    expect(decodeField("\\101\\x42\\q")).toBe("ABq");
  });

  it("encodes the values pg's parsers return, escaping what COPY FROM would misread", () => {
    expect(encodeField(null)).toBe("\\N");
    expect(encodeField(undefined)).toBe("\\N");
    expect(encodeField("tab\there\nnew\\line\r")).toBe("tab\\there\\nnew\\\\line\\r");
    expect(encodeField(true)).toBe("t");
    expect(encodeField(false)).toBe("f");
    expect(encodeField(12.5)).toBe("12.5");
    expect(encodeField(12n)).toBe("12");
    expect(encodeField(new Date(Date.UTC(2024, 0, 1, 0, 0, 1)))).toBe("2024-01-01T00:00:01.000Z");
    expect(encodeField(Buffer.from([1, 255]))).toBe("\\\\x01ff");
    // JSON writes the tab as \t; COPY then doubles that backslash.
    expect(encodeField({ a: "x\ty" })).toBe('{"a":"x\\\\ty"}');
  });

  it("maps each line through the function, whatever the chunk boundaries (a split line, a split UTF-8 character)", async () => {
    const input = Buffer.from("1\tné\t\\N\n2\tb\\tc\t4.50\n");
    const split = input.indexOf(Buffer.from("é")) + 1;
    const chunks = [input.subarray(0, split), input.subarray(split, split + 5), input.subarray(split + 5)];
    const parsers = [Number, String, Number];
    const out = Readable.from(chunks).pipe(
      copyRowsTransform(["id", "name", "amount"], parsers, (row) => ({ ...row, name: String(row.name).toUpperCase(), amount: typeof row.amount === "number" ? row.amount * 2 : null })),
    );
    expect(await text(out)).toBe("1\tNÉ\t\\N\n2\tB\\tC\t9\n");
  });

  it("fails on a line with a missing field and on output that ends inside a line", async () => {
    const identity = (row: Record<string, unknown>) => row;
    await expect(text(Readable.from([Buffer.from("1\n")]).pipe(copyRowsTransform(["id", "name"], null, identity)))).rejects.toThrow(/has 1 fields, expected 2/);
    await expect(text(Readable.from([Buffer.from("1\ta")]).pipe(copyRowsTransform(["id", "name"], null, identity)))).rejects.toThrow(/ended inside a line/);
  });
});
