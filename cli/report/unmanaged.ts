import type { ExternalDataSource as ApiSource, SavedQuery as ApiView, WarehouseJoin as ApiJoin, WarehouseTable as ApiTable } from "../../provider/client";
import type { UnmanagedObject } from "./model";

/**
 * What `drift` may leave out of "not managed by this stack": `--ignore` patterns (an exact name, or a prefix ending
 * in `*`, matched against a view's name, a source's prefix, and any object's id) and the ids other stacks manage.
 */
export interface IgnoreRules {
  patterns: readonly string[];
  /** Ids recorded in the state of the stacks named by `--ignore-stack`. */
  otherStacks: ReadonlySet<string>;
}

export interface UnmanagedListing {
  unmanaged: UnmanagedObject[];
  /** Views PostHog creates and manages itself (`managed_viewset_kind`, e.g. revenue analytics): never ours to adopt. */
  postHogManaged: number;
  ignored: number;
}

function matches(pattern: string, value: string | null | undefined): boolean {
  if (!value) return false;
  return pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

/** What a project holds, as PostHog lists it. */
export interface ProjectObjects {
  sources: readonly ApiSource[];
  views: readonly ApiView[];
  tables?: readonly ApiTable[];
  joins?: readonly ApiJoin[];
}

/** The project's objects that neither this stack, nor PostHog itself, nor an ignore rule accounts for. */
export function findUnmanaged({ sources, views, tables = [], joins = [] }: ProjectObjects, managed: ReadonlySet<string>, rules: IgnoreRules): UnmanagedListing {
  const listing: UnmanagedListing = { unmanaged: [], postHogManaged: 0, ignored: 0 };
  const ignoredBy = (id: string, ...names: Array<string | null | undefined>) =>
    rules.otherStacks.has(id) || rules.patterns.some((p) => matches(p, id) || names.some((n) => matches(p, n)));
  for (const source of sources) {
    if (managed.has(source.id)) continue;
    if (ignoredBy(source.id, source.prefix)) listing.ignored++;
    else listing.unmanaged.push({ type: "ExternalDataSource", id: source.id, name: `${source.source_type}${source.prefix ? ` ${source.prefix}` : ""}` });
  }
  for (const view of views) {
    if (managed.has(view.id) || view.deleted) continue;
    if (view.managed_viewset_kind) listing.postHogManaged++;
    else if (ignoredBy(view.id, view.name)) listing.ignored++;
    else listing.unmanaged.push({ type: "SavedQuery", id: view.id, name: view.name });
  }
  for (const table of tables) {
    // The table list includes tables synced by sources: those belong to their source, not to a WarehouseTable.
    if (managed.has(table.id) || table.deleted || table.external_data_source) continue;
    if (ignoredBy(table.id, table.name)) listing.ignored++;
    else listing.unmanaged.push({ type: "WarehouseTable", id: table.id, name: table.name });
  }
  for (const join of joins) {
    if (managed.has(join.id) || join.deleted) continue;
    const name = `${join.source_table_name}.${join.field_name}`;
    if (ignoredBy(join.id, name)) listing.ignored++;
    else listing.unmanaged.push({ type: "WarehouseJoin", id: join.id, name });
  }
  return listing;
}
