/** Per source type: PostHog's secret config fields (its wizard marks them) and the tables discovery finds. */
export const SOURCE_CATALOGUE: Record<string, { secret: string[][]; known: string[]; tables: string[] }> = {
  Stripe: { secret: [["auth_method", "stripe_secret_key"], ["stripe_secret_key"]], known: ["stripe_account_id", "auth_method", "stripe_secret_key"], tables: ["Account", "BalanceTransaction", "Charge", "Customer", "Invoice", "Price", "Product", "Subscription"] },
  Postgres: { secret: [["password"], ["ssh_tunnel", "auth", "password"], ["ssh_tunnel", "auth", "private_key"], ["ssh_tunnel", "auth", "passphrase"]], known: ["host", "port", "database", "user", "password", "schema", "ssh_tunnel", "connection_string"], tables: ["orders", "users"] },
  MySQL: { secret: [["password"]], known: ["host", "port", "database", "user", "password", "schema", "ssh_tunnel"], tables: ["orders", "users"] },
  Hubspot: { secret: [], known: ["hubspot_integration_id"], tables: ["contacts", "companies", "deals"] },
  Zendesk: { secret: [["api_key"]], known: ["subdomain", "api_key", "email_address"], tables: ["tickets", "users"] },
};

/** Credential values the emulator treats as wrong, so tests can exercise PostHog's live credential check. */
export function credentialProblem(jobInputs: Record<string, unknown>): string | undefined {
  const flat = JSON.stringify(jobInputs);
  if (/"host":"unreachable\.invalid"/.test(flat)) return "Could not connect to the source. Please check the host and port.";
  if (/"(password|stripe_secret_key|api_key)":"(wrong|bad_[^"]*)"/.test(flat)) return "Could not authenticate with the source. Please check your credentials.";
  return undefined;
}
