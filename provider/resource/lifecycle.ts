import type * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "../client";
import type { ConnectionOverrides, Target } from "../config";
import { checkInputs } from "./check";
import type { AnyResourceDefinition, OperationContext } from "./definition";
import { diffProperties, type PropertyChange } from "./diff";
import { diffNote, formatDiffNote } from "./diff-note";
import { AdoptionMismatchError, KeyTakenError, OwnershipUnprovenError, PartialFailureError, ResourceOperationError, TargetChangedError } from "./errors";
import { adopt, createOwned } from "./identity";
import { inOperation } from "./operation-scope";
import { changedTargetInputs, overridesOf, recordedTarget, sameTarget, TARGET_INPUTS, TARGET_OUTPUT } from "./target";
import { compact, containsUnknown, deepEqual } from "./values";

const PROVIDER_KEY = "__provider";

/** What the lifecycle needs from the process it runs in: a context (client, progress) for a resource's project. */
export interface LifecycleServices {
  /** A context addressing `overrides` (a resolved target is a complete override) on behalf of the resource `label`. */
  context(overrides: ConnectionOverrides, label: string): OperationContext;
  /**
   * The target a resource's overrides resolve to with the current config, without any call. Absent (offline tests),
   * a target is what the overrides say.
   */
  resolveTarget?(overrides: ConnectionOverrides): Target;
  warn(message: string): void;
  /** Machine-readable notes for tools reading the event stream (see diff-note.ts); users see them only with -v. */
  debug?(message: string): void;
}

type Props = Record<string, unknown>;

function withoutProvider(props: Props): Props {
  const { [PROVIDER_KEY]: _provider, ...rest } = props;
  return rest;
}

/**
 * The one generic lifecycle every resource shares: check (zod, no HTTP), diff (local, property by property), and
 * create/read/update/delete delegated to the definition with uniform error wording, partial-failure bookkeeping,
 * the identity rule (identity.ts) and the target each object lives in, recorded in its state and used thereafter.
 */
export function toDynamicProvider(def: AnyResourceDefinition, services: LifecycleServices): pulumi.dynamic.ResourceProvider {
  const resolve = (props: Props): Target => {
    const overrides = overridesOf(props);
    return services.resolveTarget?.(overrides) ?? { host: overrides.host ?? "", projectId: overrides.projectId ?? "" };
  };
  /** Where a resource in the state lives: as recorded, or (state written before targets were recorded) as resolved. */
  const targetOf = (state: Props): Target => recordedTarget(state) ?? resolve(state);

  async function guarded<T>(target: Target, props: Props, operation: string, provider: unknown, run: (ctx: OperationContext) => Promise<T>): Promise<T> {
    const ctx = services.context(target, def.label(props));
    try {
      // The step's async context names its resource in the shared client's retry messages (operation-scope.ts).
      return await inOperation({ label: ctx.label }, () => run(ctx));
    } catch (err) {
      if (err instanceof PartialFailureError) {
        // The host needs `__provider` in the recorded properties, or later steps could not load the provider.
        throw new PartialFailureError(err.message, err.id, { ...compact(err.properties), [TARGET_OUTPUT]: target, [PROVIDER_KEY]: provider }, err.reasons);
      }
      // These already name the resource and say what happened.
      if (err instanceof ResourceOperationError || err instanceof KeyTakenError || err instanceof OwnershipUnprovenError || err instanceof AdoptionMismatchError) throw err;
      // Wrapped, any other error loses fields such as `id`, which the host would take as this resource's object.
      throw new ResourceOperationError(ctx.label, operation, err);
    }
  }

  /** Changes of the target inputs: a move to another host/project replaces; a drift of the config alone is refused. */
  function targetChanges(olds: Props, news: Props): { changes: PropertyChange[]; moved: boolean } {
    const changed = changedTargetInputs(olds, news);
    const recorded = targetOf(olds);
    const unknown = changed.some((p) => containsUnknown(news[p]));
    const resolved = unknown ? undefined : resolve(news);
    const moved = resolved === undefined || !sameTarget(recorded, resolved);
    if (moved && changed.length === 0 && resolved) throw new TargetChangedError(def.label(news), recorded, resolved);
    const kind = (p: string) => (olds[p] == null ? "add" : news[p] == null ? "delete" : "update") as PropertyChange["kind"];
    return { changes: changed.map((property) => ({ property, kind: kind(property), replace: moved })), moved };
  }

  return {
    async check(olds: Props, news: Props) {
      const outcome = checkInputs(def.inputs, withoutProvider(news));
      if (!outcome.ok) return { inputs: news, failures: outcome.failures };
      const previous = withoutProvider(olds ?? {});
      const transition = Object.keys(previous).length > 0 ? (def.checkTransition?.(previous, outcome.value) ?? []) : [];
      if (transition.length > 0) return { inputs: news, failures: transition };
      for (const warning of def.warnings?.(outcome.value) ?? []) services.warn(`${def.label(outcome.value)}: ${warning}`);
      return { inputs: compact(outcome.value) };
    },

    async diff(id: string, olds: Props, news: Props) {
      const inputs = withoutProvider(news);
      const target = targetChanges(olds, inputs);
      const changes = [...diffProperties(olds, inputs, def.diff), ...target.changes];
      if (changes.length > 0) services.debug?.(formatDiffNote(diffNote(id, olds, inputs, changes)));
      const pending = def.pendingWork?.(withoutProvider(olds)) ?? [];
      // PostHog holds one object per key in a project: a replacement that keeps the key must delete the old first.
      // Answered whatever the changes, so a replacement the engine forces for other reasons still deletes first.
      const keyKept = !target.moved && def.key.properties.every((p) => !containsUnknown(inputs[p]) && deepEqual(olds[p] ?? undefined, inputs[p] ?? undefined));
      return {
        changes: changes.length > 0 || pending.length > 0,
        replaces: changes.filter((c) => c.replace).map((c) => c.property),
        deleteBeforeReplace: keyKept,
      };
    },

    async create(news: Props) {
      const inputs = withoutProvider(news);
      const target = resolve(inputs);
      const adoptId = typeof inputs.adoptId === "string" ? inputs.adoptId : undefined;
      const outcome = await guarded(target, inputs, adoptId ? `adopting ${adoptId}` : "create", news[PROVIDER_KEY], (ctx) =>
        adoptId ? adopt(def, ctx, adoptId, inputs) : createOwned(def, ctx, inputs),
      );
      return { id: outcome.id, outs: compact({ ...outcome.outputs, [TARGET_OUTPUT]: target }) };
    },

    async read(id: string, props: Props) {
      const state = withoutProvider(props ?? {});
      const target = targetOf(state);
      const outcome = await guarded(target, state, `read of ${id}`, props?.[PROVIDER_KEY], (ctx) => def.read(ctx, id, state));
      // An empty id tells the engine the object is gone, so refresh drops it from the state.
      if (!outcome) return { id: "", props: {} };
      return { id, props: compact({ ...outcome.outputs, [TARGET_OUTPUT]: target }), inputs: compact(outcome.inputs) };
    },

    async update(id: string, olds: Props, news: Props) {
      const inputs = withoutProvider(news);
      const state = withoutProvider(olds);
      // The object lives where the state says; diff has made any move a replacement or refused it.
      const target = targetOf(state);
      const changes = diffProperties(state, inputs, def.diff);
      const pending = def.pendingWork?.(state) ?? [];
      if (pending.length === 0 && changes.every((c) => def.localProperties.includes(c.property))) {
        // Only provider-steering settings (or a target input that does not move the object) changed: record them,
        // call nothing.
        const recordedAsGiven = (key: string) => def.localProperties.includes(key) || (TARGET_INPUTS as readonly string[]).includes(key);
        const kept = Object.fromEntries(Object.entries(state).filter(([key]) => !recordedAsGiven(key)));
        const given = Object.fromEntries(Object.entries(inputs).filter(([key]) => recordedAsGiven(key)));
        return { outs: compact({ ...kept, ...given, [TARGET_OUTPUT]: target }) };
      }
      const outputs = await guarded(target, inputs, "update", news[PROVIDER_KEY], (ctx) => def.update(ctx, id, state, inputs, changes));
      return { outs: compact({ ...outputs, [TARGET_OUTPUT]: target }) };
    },

    async delete(id: string, props: Props) {
      const state = withoutProvider(props);
      await guarded(targetOf(state), state, "delete", props[PROVIDER_KEY], async (ctx) => {
        try {
          await def.delete(ctx, id, state);
        } catch (err) {
          // Deleting what is already gone is success: the desired end state holds.
          if (err instanceof NotFoundError) return;
          throw err;
        }
      });
    },
  };
}
