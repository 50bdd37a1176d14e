import * as pulumi from "@pulumi/pulumi";
import { SavedQuery, WarehouseJoin, WarehouseTable } from "pulumi-posthog-warehouse";

/**
 * Orders exported to S3 as Parquet, queryable in HogQL as `orders`; a join adds `orders.person` (the PostHog person
 * with the order's email), and a view reads across it. Set the bucket credentials first:
 *
 *   pulumi config set --secret ordersAccessKey AKIA...
 *   pulumi config set --secret ordersAccessSecret ...
 *
 * Changing `urlPattern` (a new export folder) updates the table in place and re-reads its columns: the join and the
 * view keep working. Renaming the table updates the join in the same `pulumi up` (it takes the table's `name`).
 */
export async function program(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config();
  const orders = new WarehouseTable("orders", {
    name: "orders",
    format: "Parquet",
    urlPattern: config.get("ordersUrl") ?? "https://acme-exports.s3.eu-west-1.amazonaws.com/orders/*.parquet",
    credential: { accessKey: config.requireSecret("ordersAccessKey"), accessSecret: config.requireSecret("ordersAccessSecret") },
  });
  const person = new WarehouseJoin("orders-person", {
    sourceTableName: orders.name,
    sourceTableKey: "email",
    joiningTableName: "persons",
    joiningTableKey: "properties.email",
    fieldName: "person",
  });
  const revenueByCountry = new SavedQuery(
    "revenue-by-country",
    {
      name: "revenue_by_country",
      query: pulumi.interpolate`select ${orders.name}.person.properties.$geoip_country_code as country, sum(${orders.name}.total) as revenue
from ${orders.name}
group by country`,
    },
    // The query reaches `person` through the join, which HogQL knows only once the join exists.
    { dependsOn: [person] },
  );
  return { tableId: orders.tableId, columns: orders.columns, joinId: person.joinId, view: revenueByCountry.name };
}

