import { NotFoundError, type PostHogClient } from "../../provider/client";

export interface PrefixedObjects {
  views: Array<{ id: string; name: string }>;
  sources: Array<{ id: string; prefix: string }>;
}

/**
 * The objects whose own name carries `prefix`: views by name, sources by table prefix (their tables' names start
 * with it). This is the only way a live run finds what to delete, so it can never reach an object without it.
 */
export async function findPrefixed(client: PostHogClient, prefix: string): Promise<PrefixedObjects> {
  if (!prefix) throw new Error("refusing to search with an empty prefix");
  const found: PrefixedObjects = { views: [], sources: [] };
  for await (const v of client.savedQueries.list()) if (v.name.startsWith(prefix)) found.views.push({ id: v.id, name: v.name });
  for await (const s of client.externalDataSources.list()) if (s.prefix?.startsWith(prefix)) found.sources.push({ id: s.id, prefix: s.prefix });
  return found;
}

const gone = (err: unknown) => {
  if (!(err instanceof NotFoundError)) throw err;
};

/**
 * Deletes every object carrying `prefix` (and passing `only`, given the name or source prefix). Views go first and
 * in rounds: a view another view reads may be refused until its dependant is gone. Returns what it deleted and
 * what it could not.
 */
export async function sweepPrefixed(client: PostHogClient, prefix: string, only: (name: string) => boolean = () => true): Promise<{ deleted: string[]; failed: string[] }> {
  const found = await findPrefixed(client, prefix);
  const views = found.views.filter((v) => only(v.name));
  const sources = found.sources.filter((s) => only(s.prefix));
  const deleted: string[] = [];
  let pending = views;
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
  const failed = [...errors];
  for (const s of sources) {
    try {
      await client.externalDataSources.delete(s.id).catch(gone);
      deleted.push(`source ${s.prefix}`);
    } catch (err) {
      failed.push(`source ${s.prefix} (${s.id}): ${(err as Error).message}`);
    }
  }
  return { deleted, failed };
}
