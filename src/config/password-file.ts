import { readFile, stat } from "node:fs/promises";
import { StartupError } from "../core/errors.ts";

/** Strips exactly one trailing `\n` or `\r\n`, as editors and `echo` add one; other whitespace is part of the password. */
export function stripOneNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/** A password file as the service uses it. */
export interface PasswordFile {
  /** The password: the content without one trailing newline. */
  password: string;
  /**
   * The byte sequences a client may send base64-encoded, as the anchor reads the file: its exact bytes,
   * and its content without one trailing newline when it has one.
   */
  forms: Buffer[];
  /** A start-up warning when every user of the machine may read the file; null otherwise. */
  warning: string | null;
}

/** Reads a password file once; an unreadable file or an empty password is a StartupError naming the file. */
export async function loadPasswordFile(path: string): Promise<PasswordFile> {
  let bytes: Buffer;
  let mode: number;
  try {
    [bytes, { mode }] = await Promise.all([readFile(path), stat(path)]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new StartupError(`Cannot read the password file ${path} (${code})`, { cause: error });
  }
  const stripped = Buffer.from(stripOneNewline(bytes.toString("latin1")), "latin1");
  if (stripped.length === 0) throw new StartupError(`The password file ${path} is empty`);
  const warning = (mode & 0o004) === 0
    ? null
    : `The password file ${path} is readable by every user of this machine (mode ${(mode & 0o777).toString(8)}); restrict it, e.g. chmod 600`;
  return { password: stripped.toString("utf8"), forms: stripped.length === bytes.length ? [bytes] : [bytes, stripped], warning };
}

/** The password of a password file (one trailing newline stripped), for clients that send it. */
export async function readPasswordFile(path: string): Promise<string> {
  return (await loadPasswordFile(path)).password;
}
