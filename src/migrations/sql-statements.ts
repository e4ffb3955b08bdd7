/** One token of SQL text: a word (keyword or plain identifier), a quoted identifier, a literal or a symbol. */
export interface SqlToken {
  /** `word`: letters/digits/_/$; `quoted`: "…" (text unquoted); `string`: '…', E'…', $tag$…$tag$; `symbol`: anything else. */
  kind: "word" | "quoted" | "string" | "symbol";
  /** The word, the identifier without its quotes, or the symbol; a literal's raw text. */
  text: string;
  /** Offset of the token's first character in the whole text. */
  at: number;
}

/** One statement of an SQL text, without its terminating `;`. */
export interface SqlStatement {
  /** The statement's text, from its first token to its last (comments before it left out). */
  sql: string;
  /** Offset of `sql` in the whole text. */
  at: number;
  /** 1-based line of the whole text where the statement starts. */
  line: number;
  /** Its tokens, comments left out; offsets are in the whole text. */
  tokens: SqlToken[];
}

/**
 * Splits SQL text into statements at `;`, respecting '…' and E'…' literals, "…" identifiers, `--` and
 * (nested) block comments, PostgreSQL dollar quoting, an SQLite trigger's BEGIN … END body and a PostgreSQL
 * function's BEGIN ATOMIC … END body.
 * Empty statements (only comments or `;`) are left out. Unterminated quotes or comments run to the end.
 */
export function splitSqlStatements(text: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let tokens: SqlToken[] = [];
  let depth = 0;
  // Lines counted once through the text, statement after statement.
  let counted = 0;
  let line = 1;
  const flush = (): void => {
    if (tokens.length > 0) {
      const at = tokens[0]!.at;
      const last = tokens[tokens.length - 1]!;
      for (; counted < at; counted++) if (text.charCodeAt(counted) === 10) line++;
      statements.push({ sql: text.slice(at, last.at + rawLength(text, last)), at, line, tokens });
    }
    tokens = [];
    depth = 0;
  };
  for (const token of tokenize(text)) {
    if (token.kind === "symbol" && token.text === ";" && depth === 0) {
      flush();
      continue;
    }
    tokens.push(token);
    if (token.kind === "word") depth += blockChange(tokens, depth);
  }
  flush();
  return statements;
}

/** 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf("\n");
  return { line: lineAt(text, offset), column: offset - lastBreak };
}

/**
 * How the last token (a word) changes the depth of statement blocks, inside which `;` does not end the
 * statement: an SQLite trigger's `BEGIN … END` and PostgreSQL's `BEGIN ATOMIC … END` function body, with
 * the `CASE … END` inside them.
 */
function blockChange(tokens: readonly SqlToken[], depth: number): number {
  const word = (i: number): string => (tokens[i]?.kind === "word" ? tokens[i]!.text.toUpperCase() : "");
  const last = word(tokens.length - 1);
  if (word(0) !== "CREATE") return 0;
  const trigger = word(1) === "TRIGGER" || (/^TEMP(ORARY)?$/.test(word(1)) && word(2) === "TRIGGER");
  if (last === "BEGIN" && trigger) return 1;
  if (last === "ATOMIC" && word(tokens.length - 2) === "BEGIN") return 1;
  if (depth === 0) return 0;
  if (last === "CASE") return 1;
  return last === "END" ? -1 : 0;
}

/** The length of a token's source text (a quoted identifier's `text` lost its quotes). */
function rawLength(text: string, token: SqlToken): number {
  if (token.kind !== "quoted") return token.text.length;
  let end = token.at + 1;
  while (end < text.length) {
    if (text[end] === '"') {
      if (text[end + 1] === '"') end += 2;
      else return end + 1 - token.at;
    } else end++;
  }
  return end - token.at;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** The tokens of SQL text, comments and whitespace left out. */
export function tokenize(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === "/" && next === "*") {
      i = blockCommentEnd(text, i);
    } else if (c === "'" || ((c === "E" || c === "e") && next === "'")) {
      const start = i;
      i = stringEnd(text, c === "'" ? i : i + 1, c !== "'");
      tokens.push({ kind: "string", text: text.slice(start, i), at: start });
    } else if (c === '"') {
      const start = i;
      let value = "";
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else value += text[i++];
      }
      tokens.push({ kind: "quoted", text: value, at: start });
    } else if (c === "$" && DOLLAR_TAG.test(text.slice(i, i + 64))) {
      const tag = DOLLAR_TAG.exec(text.slice(i, i + 64))![0];
      const close = text.indexOf(tag, i + tag.length);
      const end = close < 0 ? text.length : close + tag.length;
      tokens.push({ kind: "string", text: text.slice(i, end), at: i });
      i = end;
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < text.length && WORD_PART.test(text[i]!)) i++;
      tokens.push({ kind: "word", text: text.slice(start, i), at: start });
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (i < text.length && /[0-9A-Za-z_.]/.test(text[i]!)) i++;
      tokens.push({ kind: "symbol", text: text.slice(start, i), at: start });
    } else {
      tokens.push({ kind: "symbol", text: c, at: i });
      i++;
    }
  }
  return tokens;
}

/** The offset after a block comment starting at `start`; PostgreSQL nests them. */
function blockCommentEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    if (text[i] === "/" && text[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (text[i] === "*" && text[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return text.length;
}

/** The offset after a '…' literal whose quote is at `quote` ('' inside; `\'` too in an E'…' literal). */
function stringEnd(text: string, quote: number, backslashes: boolean): number {
  let i = quote + 1;
  while (i < text.length) {
    const c = text[i];
    if (backslashes && c === "\\") i += 2;
    else if (c === "'" && text[i + 1] === "'") i += 2;
    else if (c === "'") return i + 1;
    else i++;
  }
  return text.length;
}
