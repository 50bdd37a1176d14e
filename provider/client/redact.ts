/** Keys whose values are credentials wherever they appear in a PostHog request or response body. */
export const SECRET_KEY_PATTERN = /(password|secret|token|private_key|passphrase|api_key|apikey|client_secret|credentials)/i;

/** Masks the values of secret-looking JSON keys in a text excerpt, so no error or log echoes a credential. */
export function redactSecrets(text: string): string {
  return text.replace(/"([^"]+)"\s*:\s*"((?:[^"\\]|\\.)*)"/g, (match, key: string) =>
    SECRET_KEY_PATTERN.test(key) ? `"${key}":"[secret]"` : match,
  );
}
