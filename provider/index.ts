/**
 * pulumi-posthog-warehouse: PostHog data warehouse sources and views as Pulumi resources.
 *
 * Program-side entry point. The provider process loads `runtime/runtime.js` by name instead (see thin-provider.ts).
 */
export { ExternalDataSource, type ExternalDataSourceArgs } from "./resources/external-data-source";
export { SavedQuery, type SavedQueryArgs } from "./resources/saved-query";
export { WarehouseTable, type WarehouseTableArgs } from "./resources/warehouse-table";
export { syncedTableName, WarehouseJoin, type WarehouseJoinArgs } from "./resources/warehouse-join";
export { providerConfigSchema, type ProviderConfig } from "./config";
