import type { AnyResourceDefinition } from "../resource/definition";
import { externalDataSourceDefinition } from "./external-data-source";
import { savedQueryDefinition } from "./saved-query";
import { warehouseJoinDefinition } from "./warehouse-join";
import { warehouseTableDefinition } from "./warehouse-table";

/** Every resource type the provider process can serve. A new resource is one file in this folder plus a line here. */
export const definitions = {
  ExternalDataSource: externalDataSourceDefinition,
  SavedQuery: savedQueryDefinition,
  WarehouseTable: warehouseTableDefinition,
  WarehouseJoin: warehouseJoinDefinition,
} satisfies Record<string, AnyResourceDefinition>;

export type ResourceTypeName = keyof typeof definitions;
