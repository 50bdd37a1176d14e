import * as pulumi from "@pulumi/pulumi";
import { ExternalDataSource } from "pulumi-posthog-warehouse";

// pulumi config set --secret stripeSecretKey sk_live_...
const config = new pulumi.Config();

export const stripe = new ExternalDataSource("stripe", {
  sourceType: "Stripe",
  prefix: "billing_",
  description: "Stripe billing data",
  jobInputs: {
    stripe_account_id: config.require("stripeAccountId"),
    auth_method: { selection: "api_key", stripe_secret_key: config.requireSecret("stripeSecretKey") },
  },
  schemas: [{ name: "Customer" }, { name: "Invoice" }, { name: "Charge" }, { name: "Subscription", syncFrequency: "1hour" }],
  revenueAnalyticsConfig: { enabled: true },
  // Bump to start a sync on the next `pulumi up`.
  reloadTrigger: "1",
});

export const status = stripe.status;
