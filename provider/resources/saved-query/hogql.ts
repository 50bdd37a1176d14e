/**
 * One lexical pass over a HogQL query: string literals and quoted identifiers ('…', "…", `…`, with backslash
 * escapes), `--` line comments and `/* … *\/` block comments are tokens whose text is taken verbatim; what lies
 * between them is code. An apostrophe inside a comment is comment text, never the start of a literal.
 */
interface Token {
  kind: "code" | "quoted" | "line-comment" | "block-comment";
  text: string;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let code = "";
  const flush = () => {
    if (code) tokens.push({ kind: "code", text: code });
    code = "";
  };
  for (let i = 0; i < query.length; ) {
    const ch = query[i]!;
    if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      while (j < query.length && query[j] !== ch) j += query[j] === "\\" ? 2 : 1;
      flush();
      tokens.push({ kind: "quoted", text: query.slice(i, Math.min(j + 1, query.length)) });
      i = j + 1;
    } else if (ch === "-" && query[i + 1] === "-") {
      const end = query.indexOf("\n", i);
      const stop = end < 0 ? query.length : end;
      flush();
      tokens.push({ kind: "line-comment", text: query.slice(i, stop).trimEnd() });
      i = stop;
    } else if (ch === "/" && query[i + 1] === "*") {
      const end = query.indexOf("*/", i + 2);
      const stop = end < 0 ? query.length : end + 2;
      flush();
      tokens.push({ kind: "block-comment", text: query.slice(i, stop) });
      i = stop;
    } else {
      code += ch;
      i++;
    }
  }
  flush();
  return tokens;
}

/**
 * Formatting-insensitive form of a HogQL query for diffs: runs of whitespace in code collapse to one space and
 * leading/trailing whitespace goes. Literals, quoted names and comments count character by character (`'a  b'` and
 * `'a b'` are different values), and a line comment keeps the newline that ends it: without it, the code after the
 * comment would read as part of it.
 */
export function normalizeHogQL(query: string): string {
  let out = "";
  let pendingSpace = false;
  for (const token of tokenize(query)) {
    if (token.kind !== "code") {
      if (pendingSpace && out) out += " ";
      pendingSpace = false;
      out += token.text;
      if (token.kind === "line-comment") out += "\n";
      continue;
    }
    for (const ch of token.text) {
      if (/\s/.test(ch)) {
        pendingSpace = out.length > 0 && !out.endsWith("\n");
        continue;
      }
      if (pendingSpace) out += " ";
      pendingSpace = false;
      out += ch;
    }
  }
  return out.endsWith("\n") ? out.slice(0, -1) : out;
}

/** `{name}` placeholders in code (not in literals or comments): PostHog refuses variables in views. */
export function findPlaceholder(query: string): string | undefined {
  for (const token of tokenize(query)) {
    if (token.kind !== "code") continue;
    const m = /\{[^}]*\}/.exec(token.text);
    if (m) return m[0];
  }
  return undefined;
}
