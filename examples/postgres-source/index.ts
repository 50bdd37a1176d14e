import * as pulumi from "@pulumi/pulumi";
import { ExternalDataSource } from "pulumi-posthog-warehouse";

// pulumi config set --secret dbPassword ...
const config = new pulumi.Config();

export const app = new ExternalDataSource("app-db", {
  sourceType: "Postgres",
  prefix: "app_",
  description: "Application database (read replica)",
  jobInputs: {
    host: config.require("dbHost"),
    port: 5432,
    database: "app",
    user: "posthog_reader",
    password: config.requireSecret("dbPassword"),
    schema: "public",
  },
  schemas: [
    { name: "orders", syncType: "incremental", incrementalField: "updated_at", incrementalFieldType: "datetime" },
    { name: "users" },
  ],
  // Re-discover tables after connection changes (the default), wait for the first sync.
  refreshSchemas: "onConnectionChange",
  waitForSync: { timeoutSeconds: 600 },
});
