import { readFile, stat } from "node:fs/promises";
import { StartupError } from "../core/errors.ts";

/** Strips exactly one trailing `\n` or `\r\n`, as editors and `echo` add one; other whitespace is part of the password. */
export function stripOneNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/** Reads a password file (one trailing newline stripped); an unreadable file or an empty password is a StartupError naming the file. */
export async function readPasswordFile(path: string): Promise<string> {
  return stripOneNewline((await readPasswordBytes(path)).toString("utf8"));
}

/**
 * The byte sequences a client may send base64-encoded for the password file at `path`, as the anchor
 * reads it: the file's exact bytes, and its content without one trailing newline when it has one.
 */
export async function acceptedPasswords(path: string): Promise<Buffer[]> {
  const bytes = await readPasswordBytes(path);
  const stripped = Buffer.from(stripOneNewline(bytes.toString("latin1")), "latin1");
  return stripped.length === bytes.length ? [bytes] : [bytes, stripped];
}

async function readPasswordBytes(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new StartupError(`Cannot read the password file ${path} (${code})`, { cause: error });
  }
  if (stripOneNewline(bytes.toString("latin1")) === "") throw new StartupError(`The password file ${path} is empty`);
  return bytes;
}

/** A start-up warning when other users of the machine may read the password file; null otherwise. */
export async function passwordFileWarning(path: string): Promise<string | null> {
  const { mode } = await stat(path);
  if ((mode & 0o004) === 0) return null;
  return `The password file ${path} is readable by every user of this machine (mode ${(mode & 0o777).toString(8)}); restrict it, e.g. chmod 600`;
}
