import { mayHaveBeenApplied } from "../client";
import { adoptTarget } from "./adopt-id";
import type { AnyResourceDefinition, CreateOutcome, OperationContext } from "./definition";
import { diffProperties, type DiffSpec } from "./diff";
import { changedLeafPaths } from "./diff-note";
import { AdoptionMismatchError, KeyTakenError, OwnershipUnprovenError, ResourceOperationError } from "./errors";
import { currentOperation } from "./operation-scope";
import { findAfterAmbiguousCreate } from "./reconcile";
import { TARGET_INPUTS } from "./target";
import { getPath } from "./values";

/*
 * The identity rule, once for every resource: the provider manages exactly the objects it provably created or was
 * told to adopt (`adoptId`). It never takes an object over because its natural key matches, and never sends a create
 * while the key is taken (so PostHog's upsert-by-name POST of views is never relied on).
 */

type Props = Record<string, unknown>;

function where(ctx: OperationContext): string {
  return `project ${ctx.connection.projectId} at ${ctx.connection.host}`;
}

/** Creates the object after checking its key is free; after an ambiguous create, adopts only what it provably made. */
export async function createOwned(def: AnyResourceDefinition, ctx: OperationContext, inputs: Props): Promise<CreateOutcome<Props>> {
  const key = def.key.describe(inputs);
  const holder = await def.key.find(ctx, inputs);
  if (holder) throw new KeyTakenError(ctx.label, key, def.key.properties, holder.id, where(ctx));
  // PostHog's clock when the key was seen free: an object made by this create is newer than this.
  const checkedFreeAt = currentOperation()?.serverTime;
  let created: { id: string; remote?: unknown };
  try {
    created = await def.create(ctx, inputs);
  } catch (err) {
    if (def.key.isTakenError(err)) {
      // Someone took the key between the check and the POST; PostHog refused ours, so nothing of ours exists.
      const taker = await def.key.find(ctx, inputs).catch(() => undefined);
      if (taker) throw new KeyTakenError(ctx.label, key, def.key.properties, taker.id, where(ctx));
      throw err;
    }
    // A lost response, a gateway's 502/504 after PostHog may have committed, or an unreadable 2xx.
    if (!mayHaveBeenApplied(err)) throw err;
    created = { id: await recoverAmbiguousCreate(def, ctx, inputs, checkedFreeAt, err) };
  }
  return { id: created.id, outputs: await def.completeCreate(ctx, created, inputs) };
}

/**
 * The create may or may not have happened. The object holding the key now is this create's only if the key was free
 * just before the create, the object is newer than that check (by PostHog's own clock), and it holds what the create
 * sent. Otherwise it is named, with the adoptId hint, and left alone: never adopted, never deleted.
 */
async function recoverAmbiguousCreate(def: AnyResourceDefinition, ctx: OperationContext, inputs: Props, checkedFreeAt: number | undefined, cause: Error): Promise<string> {
  const key = def.key.describe(inputs);
  ctx.progress(`the create's response was lost; looking for ${key} to learn whether PostHog made it`);
  let found;
  try {
    found = await findAfterAmbiguousCreate(ctx, () => def.key.find(ctx, inputs));
  } catch (lookupErr) {
    throw new ResourceOperationError(
      ctx.label,
      "create",
      new Error(
        `${cause.message}; looking for ${key} to see whether PostHog made it failed too (${lookupErr instanceof Error ? lookupErr.message : String(lookupErr)}). ` +
          "Nothing was adopted. Run `pulumi up` again: if PostHog did make it, the create stops before writing and names its id and the adoptId to set.",
      ),
    );
  }
  if (!found) throw cause;
  const createdAt = found.createdAt ? Date.parse(found.createdAt) : Number.NaN;
  if (checkedFreeAt === undefined) throw new OwnershipUnprovenError(ctx.label, found.id, "PostHog's clock at the check that found the key free is unknown", cause);
  if (Number.isNaN(createdAt) || createdAt < checkedFreeAt) {
    throw new OwnershipUnprovenError(ctx.label, found.id, `it was made at ${found.createdAt ?? "an unknown time"}, before the check that found ${key} free`, cause);
  }
  const read = await def.read(ctx, found.id, inputs);
  if (!read) throw cause;
  const differences = inputDifferences(def, inputs, read.inputs as Props, def.key.sentOnCreate);
  if (differences.length > 0) throw new OwnershipUnprovenError(ctx.label, found.id, `it differs from what this create sent: ${differences.join("; ")}`, cause);
  ctx.progress(`found ${found.id}, made after ${key} was checked free and holding what this create sent: it is this create's`);
  return found.id;
}

/** Takes over an existing object by id, with reads only; refuses, listing each difference, unless it is as declared. */
export async function adopt(def: AnyResourceDefinition, ctx: OperationContext, adoptId: string, inputs: Props): Promise<CreateOutcome<Props>> {
  const id = adoptTarget(adoptId, ctx.connection.projectId);
  const read = await def.read(ctx, id, inputs);
  if (!read) throw new Error(`adoptId ${adoptId}: there is no such object in ${where(ctx)}`);
  const differences = inputDifferences(def, inputs, read.inputs as Props);
  if (differences.length > 0) throw new AdoptionMismatchError(ctx.label, id, differences);
  // The declared text stands where PostHog's differs only in form (e.g. a reprinted query).
  return { id, outputs: { ...(read.outputs as Props), ...inputs } };
}

/**
 * Every declared input PostHog reports that differs from its declaration, one entry per differing leaf, e.g.
 * `description: PostHog has "a", declared "b"`. Values of `valuesNotShown` properties are never printed.
 */
export function inputDifferences(def: AnyResourceDefinition, declared: Props, reported: Props, only?: readonly string[]): string[] {
  const compared = def.diff.properties.filter((p) => !def.localProperties.includes(p) && !(TARGET_INPUTS as readonly string[]).includes(p) && (!only || only.includes(p)));
  const spec: DiffSpec = { ...def.diff, properties: compared };
  return diffProperties(reported, declared, spec).flatMap((change) => {
    const leaves = changedLeafPaths(reported[change.property], declared[change.property], [change.property]);
    return (leaves.length > 0 && !def.diff.equals?.[change.property] ? leaves : [[change.property]]).map((path) => {
      const name = path.join(".");
      if (def.valuesNotShown?.includes(change.property)) return `${name}: differs from PostHog's value`;
      return `${name}: PostHog has ${show(getPath(reported, path))}, declared ${show(getPath(declared, path))}`;
    });
  });
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

