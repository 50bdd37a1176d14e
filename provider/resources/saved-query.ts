import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { hostOverrideSchema } from "../config";
import { BadRequestError, type SavedQuery as ApiView } from "../client";
import type { Target } from "../config";
import { adoptIdSchema } from "../resource/adopt-id";
import { unlessGone } from "../resource/gone";
import type { OperationContext, ResourceDefinition } from "../resource/definition";
import { PartialFailureError, ResourceOperationError } from "../resource/errors";
import { compact } from "../resource/values";
import { reportedScalar } from "./field-rules";
import { WarehouseResource } from "../resource/program-side";
import { findPlaceholder, normalizeHogQL } from "./saved-query/hogql";

export { normalizeHogQL } from "./saved-query/hogql";

// facts.md: the names PostHog's HogQL database already has; a view may not shadow them.
const BUILT_IN_TABLES = ["events", "persons", "sessions", "groups", "person_distinct_ids", "cohort_people", "static_cohort_people", "numbers", "log_entries", "query_log"];
export const SYNC_FREQUENCIES = ["never", "1min", "5min", "15min", "30min", "1hour", "6hour", "12hour", "24hour", "7day", "30day"] as const;

export const savedQueryInputsSchema = z.object({
  name: z
    .string()
    .trim()
    .max(128, "must be at most 128 characters")
    .regex(/^[A-Za-z_$][A-Za-z0-9_.$]*$/, "must start with a letter, '_' or '$' and contain only letters, numbers, '_', '.' or '$'")
    .refine((n) => !BUILT_IN_TABLES.includes(n.toLowerCase()), "must not be one of PostHog's table names")
    .describe("The view's name: how HogQL queries refer to it."),
  query: z
    .string()
    .refine((q) => q.trim() !== "", "must not be empty")
    .refine((q) => findPlaceholder(q) === undefined, "must not contain {placeholders}: PostHog refuses variables in views")
    .describe("The view's HogQL query. Formatting-only edits (whitespace outside string literals) are not changes."),
  syncFrequency: z.enum(SYNC_FREQUENCIES).optional().describe("Materialization schedule; \"never\" pauses it."),
  materialized: z.boolean().optional().describe("Materialize the view into a table."),
  overwriteRemoteChanges: z.boolean().optional().describe("Overwrite a query edited outside Pulumi instead of failing."),
  adoptId: adoptIdSchema,
  projectId: z.string().regex(/^\d+$/, "must be a numeric project id").optional().describe("Project override (default: posthog:projectId)."),
  host: hostOverrideSchema.optional().describe("Host override (default: posthog:host); plain http:// only for loopback hosts unless posthog:allowInsecureHttp."),
})
  // Unknown keys are refused, not dropped: a misspelt property must fail at check, not be silently ignored.
  .strict();
export type SavedQueryInputs = z.infer<typeof savedQueryInputsSchema>;

export interface SavedQueryOutputs extends SavedQueryInputs {
  viewId: string;
  columns?: unknown;
  status?: string;
  isMaterialized?: boolean;
  lastRunAt?: string;
  latestError?: string;
  latestHistoryId?: string;
  createdAt?: string;
  createdBy?: string;
}

export const SAVED_QUERY_OUTPUTS = ["viewId", "columns", "status", "isMaterialized", "lastRunAt", "latestError", "latestHistoryId", "createdAt", "createdBy"] as const;

const MODIFIED_ELSEWHERE = /modified by someone else/i;

function toOutputs(inputs: SavedQueryInputs, view: ApiView): SavedQueryOutputs {
  const createdBy = typeof view.created_by === "string" ? view.created_by : (view.created_by as { email?: string } | null | undefined)?.email;
  return {
    ...inputs,
    viewId: view.id,
    columns: view.columns ?? undefined,
    status: view.status ?? undefined,
    isMaterialized: view.is_materialized ?? undefined,
    lastRunAt: view.last_run_at ?? undefined,
    latestError: view.latest_error ?? undefined,
    latestHistoryId: view.latest_history_id == null ? undefined : String(view.latest_history_id),
    createdAt: view.created_at ?? undefined,
    createdBy: createdBy ?? undefined,
  };
}

// What PostHog's materialize action sets, and what a non-materialized view's schedule reads as when "off".
const frequencyReset = (materialized: boolean) => (materialized ? "24hour" : "never");

/**
 * The inputs as PostHog reports them: name, query (the declared text kept when it differs only in formatting:
 * PostHog reprints queries on write), materialization and schedule, a value meaning "not set" read as absent unless
 * declared so. Settings PostHog does not hold (overrides, adoption) stay as declared. Refresh records this, and so
 * do create and update after writing: the state holds what PostHog holds, also after a partial failure.
 */
export function reportedViewInputs(declared: SavedQueryInputs, view: ApiView): SavedQueryInputs {
  const query = view.query?.query;
  const materialized = view.is_materialized ?? false;
  return compact({
    ...declared,
    name: view.name,
    // (An import reads with no prior state: nothing is declared yet.)
    query: query === undefined || (declared.query !== undefined && normalizeHogQL(query) === normalizeHogQL(declared.query)) ? declared.query : query,
    materialized: reportedScalar(declared.materialized, materialized, false),
    syncFrequency: reportedScalar(declared.syncFrequency, view.sync_frequency, frequencyReset(materialized)) as SavedQueryInputs["syncFrequency"],
  });
}

/**
 * Materialization and schedule, from `olds` (what PostHog holds, as inputs) to `news`. Materializing sets PostHog's
 * schedule to 24 hours, so the declared frequency is sent after it; removing a declaration sends the reset.
 */
async function applyMaterialization(ctx: OperationContext, id: string, olds: SavedQueryInputs, news: SavedQueryInputs, wrote: () => void): Promise<void> {
  const was = olds.materialized ?? false;
  const now = news.materialized ?? false;
  let current = olds.syncFrequency;
  if (was !== now) {
    ctx.progress(now ? "materializing" : "reverting materialization");
    if (now) await ctx.client.savedQueries.materialize(id);
    else await ctx.client.savedQueries.revertMaterialization(id);
    wrote();
    current = undefined;
  }
  const target = news.syncFrequency ?? (current !== undefined ? frequencyReset(now) : undefined);
  if (target !== undefined && target !== (current ?? frequencyReset(now))) {
    await ctx.client.savedQueries.update(id, { sync_frequency: target });
    wrote();
  }
}

/**
 * Runs the follow-ups of a write; a failure after something was written records what PostHog then holds. `latest` is
 * the view as the last write answered it (POST and PATCH answer the full object): read again only if a follow-up
 * wrote after it, so a plain create or query change costs one call, not two, against PostHog's rate limit.
 */
async function finish(ctx: OperationContext, id: string, olds: SavedQueryInputs, news: SavedQueryInputs, latest: ApiView | undefined, what: string): Promise<SavedQueryOutputs> {
  let wrote = latest !== undefined;
  let followedUp = false;
  try {
    await applyMaterialization(ctx, id, olds, news, () => (wrote = followedUp = true));
    const view = latest && !followedUp ? latest : await ctx.client.savedQueries.retrieve(id);
    return toOutputs(reportedViewInputs(news, view), view);
  } catch (err) {
    if (!wrote) throw err;
    const current = await ctx.client.savedQueries.retrieve(id).catch(() => undefined);
    const properties = current ? toOutputs(reportedViewInputs(news, current), current) : { ...olds, viewId: id };
    throw new PartialFailureError(`${what}, but a follow-up step failed: ${(err as Error).message}; the next \`pulumi up\` finishes it`, id, { ...properties });
  }
}

/** The live view holding `name`, from the list (names are unique per project; `search` matches substrings). */
async function findByName(ctx: OperationContext, name: string): Promise<ApiView | undefined> {
  for await (const item of ctx.client.savedQueries.list({ search: name })) if (item.name === name) return item;
  return undefined;
}

export const savedQueryDefinition: ResourceDefinition<SavedQueryInputs, SavedQueryOutputs, ApiView> = {
  typeName: "SavedQuery",
  inputs: savedQueryInputsSchema,
  diff: {
    properties: ["name", "query", "syncFrequency", "materialized", "overwriteRemoteChanges"],
    replaceOn: [],
    equals: { query: (a, b) => typeof a === "string" && typeof b === "string" && normalizeHogQL(a) === normalizeHogQL(b) },
  },
  localProperties: ["overwriteRemoteChanges", "adoptId"],
  outputs: SAVED_QUERY_OUTPUTS,
  label: (inputs) => `SavedQuery "${String(inputs.name)}"`,
  serverText: ["latestError"],
  key: {
    properties: ["name"],
    describe: (inputs) => `a view named "${inputs.name}"`,
    find: (ctx, inputs) => findByName(ctx, inputs.name).then((view) => view && { id: view.id, createdAt: view.created_at }),
    // PostHog's POST of a taken name is its upsert path, which refuses a query sent without the view's history id
    // (facts.md): the view appeared after the pre-check, and nothing was written to it.
    isTakenError: (err) => err instanceof BadRequestError && MODIFIED_ELSEWHERE.test(err.detail),
    sentOnCreate: ["name", "query"],
  },

  async create(ctx, inputs) {
    const created = await ctx.client.savedQueries.create({ name: inputs.name, query: { kind: "HogQLQuery" as const, query: inputs.query } });
    if (created.status === 200) {
      // The upsert path wrote to a view made after the pre-check; PostHog is documented never to, so say so loudly.
      throw new Error(`PostHog updated the existing view ${created.view.id} named ${inputs.name} instead of creating one (a view of that name appeared after the check that found the name free); it is not managed by this resource: to manage it, set adoptId: "${created.view.id}"`);
    }
    return { id: created.view.id, remote: created.view };
  },

  async completeCreate(ctx, { id, remote }, inputs) {
    const view = remote ?? (await ctx.client.savedQueries.retrieve(id));
    // The view exists from here on: whatever fails next, it is recorded, never orphaned.
    return finish(ctx, id, reportedViewInputs(inputs, view), inputs, view, `view ${id} created`);
  },

  async read(ctx, id, state) {
    const view = await unlessGone(ctx.client.savedQueries.retrieve(id));
    if (!view) return undefined;
    if (view.deleted) return undefined;
    const inputs = reportedViewInputs(state, view);
    return { inputs, outputs: toOutputs(inputs, view) };
  },

  async update(ctx, id, olds, news, changes) {
    const changed = new Set(changes.map((c) => c.property));
    const body: { name?: string; query?: { kind: "HogQLQuery"; query: string }; edited_history_id?: string | null } = {};
    if (changed.has("name")) body.name = news.name;
    if (changed.has("query")) {
      body.query = { kind: "HogQLQuery", query: news.query };
      body.edited_history_id = olds.latestHistoryId ?? null;
    }
    let view: ApiView | undefined;
    if (Object.keys(body).length > 0) {
      try {
        view = await ctx.client.savedQueries.update(id, body);
      } catch (err) {
        if (!(err instanceof BadRequestError && MODIFIED_ELSEWHERE.test(err.detail))) throw err;
        // Our own PATCH may have been applied before its response was lost: the client's retry then carries a stale
        // history id. If PostHog already holds exactly what we asked for, that is success, not a conflict.
        const current = await ctx.client.savedQueries.retrieve(id);
        const applied = current.name === news.name && normalizeHogQL(current.query?.query ?? "") === normalizeHogQL(news.query);
        if (applied) {
          view = current;
        } else if (!news.overwriteRemoteChanges) {
          throw new ResourceOperationError(
            ctx.label,
            "update",
            new Error(
              "the view changed outside Pulumi since the last refresh (PostHog: \"The query was modified by someone else.\"). " +
                "Run `pulumi refresh` to see and accept the remote change, or set overwriteRemoteChanges: true to overwrite it.",
            ),
          );
        } else {
          ctx.warn("overwriting a query edited outside Pulumi (overwriteRemoteChanges)");
          view = await ctx.client.savedQueries.update(id, { ...body, edited_history_id: current.latest_history_id == null ? null : String(current.latest_history_id) });
        }
      }
    }
    return finish(ctx, id, olds, news, view, "update applied");
  },

  async delete(ctx, id) {
    // One call: a `descendants` look-up first would only warn (PostHog deletes the view either way) and would double
    // a destroy's API calls against the rate limit.
    await ctx.client.savedQueries.delete(id);
  },
};

export interface SavedQueryArgs {
  name: pulumi.Input<string>;
  query: pulumi.Input<string>;
  syncFrequency?: pulumi.Input<(typeof SYNC_FREQUENCIES)[number]>;
  materialized?: pulumi.Input<boolean>;
  overwriteRemoteChanges?: pulumi.Input<boolean>;
  adoptId?: pulumi.Input<string>;
  projectId?: pulumi.Input<string>;
  host?: pulumi.Input<string>;
}

/** A PostHog warehouse view (saved query) written in HogQL. */
export class SavedQuery extends WarehouseResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly query: pulumi.Output<string>;
  declare readonly viewId: pulumi.Output<string>;
  declare readonly columns: pulumi.Output<unknown>;
  declare readonly status: pulumi.Output<string | undefined>;
  declare readonly isMaterialized: pulumi.Output<boolean | undefined>;
  declare readonly lastRunAt: pulumi.Output<string | undefined>;
  declare readonly latestError: pulumi.Output<string | undefined>;
  declare readonly latestHistoryId: pulumi.Output<string | undefined>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  declare readonly createdBy: pulumi.Output<string | undefined>;
  /** The PostHog host and project the object lives in, as resolved when it was created (or adopted). */
  declare readonly target: pulumi.Output<Target>;

  constructor(name: string, args: SavedQueryArgs, opts?: pulumi.CustomResourceOptions) {
    super("SavedQuery", name, { ...args }, SAVED_QUERY_OUTPUTS, opts);
  }
}
