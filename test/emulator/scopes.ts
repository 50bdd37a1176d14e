/*
 * Personal API key scopes as PostHog's APIScopePermission applies them (posthog/permissions.py): each viewset has a
 * `scope_object`; list/retrieve need `<object>:read`, create/update/partial_update/destroy and the write actions
 * need `<object>:write`, an action may name its own `required_scopes`, and `:write` satisfies `:read`. An action
 * from which no scope derives (saved queries' `ancestors`/`descendants`) refuses every personal API key.
 */

/** The scopes a request needs, `[]` when none can be derived (PostHog then refuses personal API keys). */
export function requiredScopes(method: string, collection: string, id: string | undefined, action: string | undefined): string[] {
  // ExternalDataSourceViewSet and ExternalDataSchemaViewset both have scope_object "external_data_source".
  if (collection === "external_data_sources" || collection === "external_data_schemas") {
    return [`external_data_source:${method === "GET" ? "read" : "write"}`];
  }
  // TableViewSet: scope_object "warehouse_table" (facts-tables-and-joins.md); view links stay on "warehouse_view".
  if (collection === "warehouse_tables") return [`warehouse_table:${method === "GET" ? "read" : "write"}`];
  // DataWarehouseSavedQueryViewSet: scope_object "warehouse_view"; `activity` names activity_log:read.
  if (action === "activity") return ["activity_log:read"];
  if (action === "ancestors" || action === "descendants") return [];
  void id;
  return [`warehouse_view:${method === "GET" ? "read" : "write"}`];
}

/** PostHog's message for the first required scope the key lacks, or for an action no personal API key may use. */
export function scopeRefusal(keyScopes: readonly string[], required: readonly string[]): string | undefined {
  if (required.length === 0) return "This action does not support personal API key access";
  if (keyScopes.includes("*")) return undefined;
  for (const scope of required) {
    const valid = scope.endsWith(":read") ? [scope, scope.replace(/:read$/, ":write")] : [scope];
    if (!valid.some((s) => keyScopes.includes(s))) return `API key missing required scope '${scope}'`;
  }
  return undefined;
}
