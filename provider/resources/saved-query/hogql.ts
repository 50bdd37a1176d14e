/**
 * Formatting-insensitive form of a HogQL query for diffs: runs of whitespace outside string literals and quoted
 * identifiers collapse to one space, and leading/trailing whitespace goes. Inside quotes every character counts,
 * since `'a  b'` and `'a b'` are different values.
 */
export function normalizeHogQL(query: string): string {
  let out = "";
  let quote: string | null = null;
  let pendingSpace = false;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i]!;
    if (quote) {
      out += ch;
      if (ch === "\\" && i + 1 < query.length) out += query[++i]!;
      else if (ch === quote) quote = null;
      continue;
    }
    if (/\s/.test(ch)) {
      pendingSpace = out.length > 0;
      continue;
    }
    if (pendingSpace) out += " ";
    pendingSpace = false;
    if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    out += ch;
  }
  return out;
}

/** `{name}` placeholders outside string literals: PostHog refuses variables in views. */
export function findPlaceholder(query: string): string | undefined {
  let quote: string | null = null;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "{") {
      const end = query.indexOf("}", i);
      if (end > i) return query.slice(i, end + 1);
    }
  }
  return undefined;
}
