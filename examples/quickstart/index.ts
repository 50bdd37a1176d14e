import * as pulumi from "@pulumi/pulumi";
import { ExternalDataSource, SavedQuery } from "pulumi-posthog-warehouse";

// A Stripe source and two views on top of it. `pulumi up` in this folder (posthog:host, posthog:apiKey and
// posthog:projectId set), or `npm run demo` from the repository root against the bundled emulator.
const config = new pulumi.Config();

const stripe = new ExternalDataSource("stripe", {
  sourceType: "Stripe",
  prefix: "billing_",
  description: "Stripe billing data",
  jobInputs: {
    stripe_account_id: "acct_demo",
    auth_method: { selection: "api_key", stripe_secret_key: config.getSecret("stripeSecretKey") ?? pulumi.secret("sk_test_demo") },
  },
  schemas: [{ name: "Customer" }, { name: "Invoice" }, { name: "Charge" }],
});
const customers = new SavedQuery("customers", { name: "customers", query: "select id, email from billing_stripe_customer" }, { dependsOn: [stripe] });
const emails = new SavedQuery("customer_emails", { name: "customer_emails", query: pulumi.interpolate`select email from ${customers.name}` });

export const sourceId = stripe.id;
export const sourceStatus = stripe.status;
export const tables = stripe.schemaStatus;
export const views = [customers.name, emails.name];
export const columns = emails.columns;
