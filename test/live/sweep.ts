import { NotFoundError, type PostHogClient, type WarehouseJoin, type WarehouseTable } from "../../provider/client";

export interface PrefixedObjects {
  views: Array<{ id: string; name: string }>;
  sources: Array<{ id: string; prefix: string }>;
  tables: Array<{ id: string; name: string }>;
  /** `name`: whichever of the join's own names carries the prefix (its field name, else its source table's name). */
  joins: Array<{ id: string; name: string }>;
}

/**
 * A table of a live run: its own name carries the prefix and no source synced it (those go with their source, and
 * PostHog refuses to delete them alone).
 */
export const prefixedTable = (t: WarehouseTable, prefix: string): boolean => t.name.startsWith(prefix) && !t.external_data_source;

/**
 * The name by which a join belongs to a live run, or undefined when it does not: its field name, else the table it
 * adds the field to, must start with the prefix. A join onto anyone else's table with a field name of its own (and
 * a foreign join onto `events`, `persons`, …) carries neither, so it is never reached.
 */
export function prefixedJoinName(j: WarehouseJoin, prefix: string): string | undefined {
  if (j.field_name.startsWith(prefix)) return j.field_name;
  if (j.source_table_name.startsWith(prefix)) return j.source_table_name;
  return undefined;
}

/**
 * The objects whose own name carries `prefix`: views by name, sources by table prefix (their tables' names start
 * with it), self-managed tables by name, joins by field or source table name. This is the only way a live run finds
 * what to delete, so it can never reach an object without it.
 */
export async function findPrefixed(client: PostHogClient, prefix: string): Promise<PrefixedObjects> {
  if (!prefix) throw new Error("refusing to search with an empty prefix");
  const found: PrefixedObjects = { views: [], sources: [], tables: [], joins: [] };
  for await (const v of client.savedQueries.list()) if (v.name.startsWith(prefix)) found.views.push({ id: v.id, name: v.name });
  for await (const s of client.externalDataSources.list()) if (s.prefix?.startsWith(prefix)) found.sources.push({ id: s.id, prefix: s.prefix });
  for await (const t of client.warehouseTables.list({ include_columns: "false" })) if (prefixedTable(t, prefix)) found.tables.push({ id: t.id, name: t.name });
  for await (const j of client.warehouseJoins.list()) {
    const name = prefixedJoinName(j, prefix);
    if (name !== undefined) found.joins.push({ id: j.id, name });
  }
  return found;
}

const gone = (err: unknown) => {
  if (!(err instanceof NotFoundError)) throw err;
};

/**
 * Deletes every object carrying `prefix` (and passing `only`, given the name by which it was found). Joins go first
 * (they name tables and views), then views in rounds (a view another view reads may be refused until its dependant
 * is gone), then tables, then sources. Returns what it deleted and what it could not.
 */
export async function sweepPrefixed(client: PostHogClient, prefix: string, only: (name: string) => boolean = () => true): Promise<{ deleted: string[]; failed: string[] }> {
  const found = await findPrefixed(client, prefix);
  const deleted: string[] = [];
  const failed: string[] = [];
  const each = async (kind: string, items: Array<{ id: string; name: string }>, del: (id: string) => Promise<void>) => {
    for (const item of items.filter((i) => only(i.name))) {
      try {
        await del(item.id).catch(gone);
        deleted.push(`${kind} ${item.name}`);
      } catch (err) {
        failed.push(`${kind} ${item.name} (${item.id}): ${(err as Error).message}`);
      }
    }
  };
  await each("join", found.joins, (id) => client.warehouseJoins.delete(id));

  let pending = found.views.filter((v) => only(v.name));
  let errors: string[] = [];
  while (pending.length > 0) {
    const left: typeof pending = [];
    errors = [];
    for (const v of pending) {
      try {
        await client.savedQueries.delete(v.id).catch(gone);
        deleted.push(`view ${v.name}`);
      } catch (err) {
        left.push(v);
        errors.push(`view ${v.name} (${v.id}): ${(err as Error).message}`);
      }
    }
    if (left.length === pending.length) break;
    pending = left;
  }
  failed.push(...errors);
  await each("table", found.tables, (id) => client.warehouseTables.delete(id));
  await each(
    "source",
    found.sources.map((s) => ({ id: s.id, name: s.prefix })),
    (id) => client.externalDataSources.delete(id),
  );
  return { deleted, failed };
}
