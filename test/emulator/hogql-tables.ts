/*
 * The tables a HogQL query reads, well enough to refuse what PostHog refuses ("Unknown table") without refusing
 * what it accepts. Not a parser: comments and literals are blanked, CTE names are local tables, and a FROM inside
 * EXTRACT(... FROM ...), TRIM(... FROM ...), SUBSTRING(... FROM ...) or POSITION(... IN ...) names no table.
 */
const NON_TABLE_FROM = new Set(["extract", "trim", "substring", "overlay", "position"]);
const WORD = /[A-Za-z_$][A-Za-z0-9_.$]*/y;

function blankCommentsAndLiterals(query: string): string {
  return query
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ")
    .replace(/'(?:[^'\\]|\\.)*'/g, "''")
    .replace(/`([^`]*)`|"([^"]*)"/g, (_m, a: string | undefined, b: string | undefined) => (a ?? b ?? "").replace(/[^A-Za-z0-9_.$]/g, "_"));
}

interface Token {
  text: string;
  lower: string;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < query.length; ) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(query);
    if (word) {
      tokens.push({ text: word[0], lower: word[0].toLowerCase() });
      i += word[0].length;
    } else {
      tokens.push({ text: ch, lower: ch });
      i++;
    }
  }
  return tokens;
}

export function referencedTables(query: string): string[] {
  const tokens = tokenize(blankCommentsAndLiterals(query));
  const ctes = new Set<string>();
  tokens.forEach((t, i) => {
    // `WITH name AS (` and `, name AS (` declare a CTE.
    if (tokens[i + 1]?.lower === "as" && tokens[i + 2]?.text === "(" && (tokens[i - 1]?.lower === "with" || tokens[i - 1]?.text === ",")) ctes.add(t.text);
  });
  const tables: string[] = [];
  const parens: string[] = [];
  tokens.forEach((t, i) => {
    if (t.text === "(") parens.push(tokens[i - 1]?.lower ?? "");
    else if (t.text === ")") parens.pop();
    else if ((t.lower === "from" || t.lower === "join") && !NON_TABLE_FROM.has(parens.at(-1) ?? "")) {
      const next = tokens[i + 1];
      if (next && /^[A-Za-z_$]/.test(next.text) && tokens[i + 2]?.text !== "(" && !ctes.has(next.text)) tables.push(next.text);
    }
  });
  return tables;
}
