import { extname } from "node:path";
import { transform, type Message } from "esbuild";

/**
 * Where a migration file's source does not parse, as `path:line:column: message` in the parser's own words
 * (TypeScript for `.ts`, JavaScript otherwise), or null when it parses. The loaders that import a file word
 * the same mistake differently (and Node's JavaScript parser reads a `.ts` file's types as errors), so the
 * file is parsed once more on its own.
 */
export async function syntaxErrorIn(path: string, source: string): Promise<string | null> {
  try {
    await transform(source, { loader: extname(path) === ".ts" ? "ts" : "js", sourcefile: path, logLevel: "silent" });
    return null;
  } catch (error) {
    const first = (error as { errors?: Message[] }).errors?.[0];
    if (!first?.location) return null;
    const { file, line, column, lineText } = first.location;
    return `${file}:${line}:${characterColumn(lineText, column)}: ${first.text}`;
  }
}

/** The 1-based column in characters (as editors count) of a 0-based byte offset into `lineText`. */
function characterColumn(lineText: string, byteColumn: number): number {
  return Buffer.from(lineText, "utf8").subarray(0, byteColumn).toString("utf8").length + 1;
}
