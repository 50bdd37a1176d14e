/**
 * Keys whose values are credentials wherever they appear in a PostHog request or response body. A second line of
 * defence only: the values a resource declares secret (from PostHog's own field definitions) are scrubbed by value.
 */
export const SECRET_KEY_PATTERN = /(password|secret|token|private_key|passphrase|api_key|apikey|client_secret|credentials|connection_string|encryption_key|client_certificate|root_ca)/i;

export const REDACTED = "[secret]";

/** Shorter values would blank out ordinary words; Pulumi's own log filter draws the line at 3 characters too. */
const MIN_SECRET_LENGTH = 3;

/** The spellings a value takes when a server echoes it: raw, JSON string (once or twice, ASCII-escaped), Python repr, URL- and HTML-encoded, base64. */
function spellings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  // A JSON document quoted inside another (an error that embeds the request body as a string).
  const jsonInJson = JSON.stringify(json).slice(1, -1);
  const python = value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  const html = value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  // Python's json.dumps escapes every non-ASCII character (ensure_ascii).
  const asciiJson = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const url = encodeURIComponent(value);
  // RFC 3986 (Python's urllib.parse.quote and quote_plus) also encodes !'()*, and quote keeps "/" by default.
  const strict = url.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const base64 = Buffer.from(value).toString("base64");
  return [
    ...new Set([value, json, jsonInJson, python, html, asciiJson, url, url.replace(/%20/g, "+"), strict, strict.replace(/%20/g, "+"), strict.replace(/%2F/g, "/"), base64, base64.replace(/=+$/, "")]),
  ];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// scheme://user:password@host: the userinfo is a credential whoever wrote it.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"<>]+@/gi;
// "key": "value" (JSON) and 'key': 'value' (Python repr), either quote on either side.
const QUOTED_PAIR = /(["'])([^"'\s]{1,80})\1(\s*:\s*)(["'])((?:\\.|(?!\4)[^\\])*)\4/g;
// key=value in query strings, form bodies and log lines.
const ASSIGNMENT = /\b([A-Za-z_][A-Za-z0-9_]{0,80})=([^\s&;,'"<>]+)/g;
const BEARER = /\b((?:Bearer|Basic)\s+)[^\s'"<>]+/gi;
// PostHog personal API keys (phx_...): never more than the prefix.
const PERSONAL_KEY = /\bphx_[A-Za-z0-9_-]{6,}/g;

/**
 * Scrubs error texts of every secret the client holds or sent: the API key and each value a resource declared
 * secret, in whatever spelling the server echoed it, plus credential-shaped text (URL userinfo, secret-named keys in
 * JSON or Python-repr dicts, bearer tokens, personal API keys) whose values it cannot know.
 */
export class SecretScrubber {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  constructor(...values: unknown[]) {
    this.add(...values);
  }

  /** Registers every string (and number of 3+ digits) inside the values, however deeply nested. */
  add(...values: unknown[]): void {
    const before = this.values.size;
    const visit = (value: unknown): void => {
      if (typeof value === "string") {
        if (value.length >= MIN_SECRET_LENGTH && !/^(true|false|null)$/i.test(value)) this.values.add(value);
      } else if (typeof value === "number" && String(value).length >= MIN_SECRET_LENGTH) this.values.add(String(value));
      else if (Array.isArray(value)) value.forEach(visit);
      else if (value !== null && typeof value === "object") Object.values(value).forEach(visit);
    };
    values.forEach(visit);
    if (this.values.size !== before) this.pattern = undefined;
  }

  scrub(text: string): string {
    return redactSecrets(this.scrubValues(text));
  }

  /** Replaces the registered values only (no pattern guesses): safe on text that is data, not a message. */
  scrubValues(text: string): string {
    if (this.values.size > 0) {
      // Longest first, so a secret that contains another is replaced whole.
      this.pattern ??= new RegExp(
        [...new Set([...this.values].flatMap(spellings))]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join("|"),
        "g",
      );
      text = text.replace(this.pattern, REDACTED);
    }
    return text;
  }
}

/** Masks credential-shaped text whose value is not known: secret-named keys, URL userinfo, bearer tokens, API keys. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(QUOTED_PAIR, (match, q: string, key: string, colon: string, vq: string) => (SECRET_KEY_PATTERN.test(key) ? `${q}${key}${q}${colon}${vq}${REDACTED}${vq}` : match))
    .replace(ASSIGNMENT, (match, key: string) => (SECRET_KEY_PATTERN.test(key) ? `${key}=${REDACTED}` : match))
    .replace(BEARER, (_m, prefix: string) => `${prefix}${REDACTED}`)
    .replace(PERSONAL_KEY, (key) => keyHint(key));
}

/** What may be shown of an API key: its first characters, enough to tell two keys apart in PostHog's UI. */
export function keyHint(apiKey: string): string {
  return apiKey.length >= 16 ? `${apiKey.slice(0, 7)}…` : "…";
}
