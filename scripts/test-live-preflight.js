// Runs before `npm run test:live` builds anything: without a server to test against, say what to set and stop.
const vars = ["POSTHOG_HOST", "POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_ID"];
const missing = vars.filter((v) => !process.env[v]);
if (missing.length > 0) {
  process.stderr.write(
    `test:live runs the acceptance tests against a real PostHog and runs nothing without one.\n` +
      `Set ${missing.join(", ")} (a personal API key with the scopes listed in the README, section ` +
      `"Acceptance tests against a real PostHog"), then run it again.\n`,
  );
  process.exit(2);
}
