import { createHash, timingSafeEqual } from "node:crypto";
import { UnauthorizedError } from "./request-errors.ts";

/** Checks an `Authorization` header value; throws UnauthorizedError when it is missing or wrong. */
export type Authenticate = (authorization: string | null | undefined) => void;

// Standard and URL-safe alphabets; Buffer.from(…, "base64") would otherwise skip garbage silently.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const BASIC = /^basic\s+(\S+)$/i;

/**
 * Builds the one auth check both faces call. Accepts `<base64(password)>` (existing clients) and
 * `Basic <base64(user:password)>` (any user), for the password text or any of the given byte forms
 * (a password file's exact bytes and its content without a trailing newline). Compares SHA-256 digests
 * in constant time, always against every form.
 */
export function createAuthenticator(password: string | readonly Uint8Array[]): Authenticate {
  const forms = typeof password === "string" ? [Buffer.from(password, "utf8")] : password;
  const expected = forms.map((form) => sha256(Buffer.from(form)));
  return (authorization) => {
    const candidate = authorization ? passwordFromHeader(authorization) : undefined;
    const given = sha256(candidate ?? Buffer.alloc(0));
    // Always compare, so that a missing or malformed header costs the same time as a wrong password.
    let equal = false;
    for (const digest of expected) equal = timingSafeEqual(given, digest) || equal;
    if (candidate === undefined || !equal) throw new UnauthorizedError();
  };
}

/** The password bytes a header carries, or undefined when it is not one of the two accepted forms. */
export function passwordFromHeader(header: string): Buffer | undefined {
  const value = header.trim();
  const basic = BASIC.exec(value);
  const token = basic ? basic[1]! : value;
  if (!BASE64.test(token)) return undefined;
  const decoded = Buffer.from(token, "base64");
  if (!basic) return decoded;
  const colon = decoded.indexOf(0x3a);
  return colon < 0 ? undefined : decoded.subarray(colon + 1);
}

function sha256(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest();
}
