import type * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "../client";
import { ConfigurationError, type ConnectionOverrides, type Target } from "../config";
import { checkInputs, type CheckFailure } from "./check";
import type { AnyResourceDefinition, OperationContext } from "./definition";
import { diffProperties, type PropertyChange } from "./diff";
import { diffNote, formatDiffNote } from "./diff-note";
import { AdoptionMismatchError, KeyTakenError, OwnershipUnprovenError, PartialFailureError, ResourceOperationError, TargetChangedError } from "./errors";
import { adopt, createOwned } from "./identity";
import { inOperation } from "./operation-scope";
import { changedTargetInputs, overridesOf, recordedTarget, sameTarget, TARGET_INPUTS, TARGET_OUTPUT } from "./target";
import { compact, containsUnknown, deepEqual, UNKNOWN } from "./values";

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
  /** Why the connection these overrides lead to is refused before any request (the http rule), if it is. */
  connectionProblem?(overrides: ConnectionOverrides): string | undefined;
}

type Props = Record<string, unknown>;

function withoutProvider(props: Props): Props {
  const { [PROVIDER_KEY]: _provider, ...rest } = props;
  return rest;
}

/**
 * PostHog's own free text in the outputs (`latestError`) may quote a secret it was sent (a sync error with the
 * connection string): it must not land in the state as a plain output.
 */
function scrubServerText(def: AnyResourceDefinition, outputs: Props, ctx: OperationContext): Props {
  const secrets = ctx.client.secrets;
  if (!secrets || !def.serverText) return outputs;
  const scrubbed = { ...outputs };
  for (const key of def.serverText) if (typeof scrubbed[key] === "string") scrubbed[key] = secrets.scrubValues(scrubbed[key]);
  return scrubbed;
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

  /** The operation's context at `target`; the client learns the secret values of every version of the props it will send or hold. */
  const contextFor = (target: Target, props: Props, ...others: Props[]): OperationContext => {
    const ctx = services.context(target, def.label(props));
    for (const p of [props, ...others]) ctx.client.secrets?.add(...(def.secretValues?.(p) ?? []));
    return ctx;
  };

  async function guarded<T>(ctx: OperationContext, target: Target, operation: string, provider: unknown, run: () => Promise<T>): Promise<T> {
    const scrub = (text: string) => ctx.client.secrets?.scrub(text) ?? text;
    try {
      // The step's async context names its resource in the shared client's retry messages (operation-scope.ts).
      return await inOperation({ label: ctx.label }, run);
    } catch (err) {
      if (err instanceof PartialFailureError) {
        // The host needs `__provider` in the recorded properties, or later steps could not load the provider.
        throw new PartialFailureError(scrub(err.message), err.id, { ...compact(err.properties), [TARGET_OUTPUT]: target, [PROVIDER_KEY]: provider }, err.reasons.map(scrub));
      }
      // These already name the resource and say what happened.
      if (err instanceof ResourceOperationError || err instanceof KeyTakenError || err instanceof OwnershipUnprovenError || err instanceof AdoptionMismatchError) {
        err.message = scrub(err.message);
        throw err;
      }
      // Wrapped, any other error loses fields such as `id`, which the host would take as this resource's object.
      const wrapped = new ResourceOperationError(ctx.label, operation, err);
      wrapped.message = scrub(wrapped.message);
      throw wrapped;
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
      // The engine prints a failing property's whole value ("property jobInputs value {map[… password:{&{{…}}}]}"),
      // secrets in plaintext; for a property that can hold them, the reason alone names the path.
      const unnamed = (failures: CheckFailure[]) => failures.map((f) => (def.secretProperties?.includes(f.property) ? { property: "", reason: f.reason } : f));
      if (!outcome.ok) return { inputs: news, failures: unnamed(outcome.failures) };
      const previous = withoutProvider(olds ?? {});
      const transition = Object.keys(previous).length > 0 ? (def.checkTransition?.(previous, outcome.value) ?? []) : [];
      if (transition.length > 0) return { inputs: news, failures: unnamed(transition) };
      // The http rule, before any request can carry the API key (a host still unknown in preview is checked at up).
      if (news.host !== UNKNOWN) {
        const overrides = overridesOf(news);
        const problem = services.connectionProblem?.(overrides);
        if (problem && overrides.host) return { inputs: news, failures: [{ property: "host", reason: problem }] };
        if (problem) throw new ConfigurationError(`${def.label(outcome.value as Props)}: ${problem}`);
      }
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
      const ctx = contextFor(target, inputs);
      const adoptId = typeof inputs.adoptId === "string" ? inputs.adoptId : undefined;
      const outcome = await guarded(ctx, target, adoptId ? `adopting ${adoptId}` : "create", news[PROVIDER_KEY], () =>
        adoptId ? adopt(def, ctx, adoptId, inputs) : createOwned(def, ctx, inputs),
      );
      return { id: outcome.id, outs: compact({ ...scrubServerText(def, outcome.outputs, ctx), [TARGET_OUTPUT]: target }) };
    },

    async read(id: string, props: Props) {
      const state = withoutProvider(props ?? {});
      const target = targetOf(state);
      const ctx = contextFor(target, state);
      const outcome = await guarded(ctx, target, `read of ${id}`, props?.[PROVIDER_KEY], () => def.read(ctx, id, state));
      // An empty id tells the engine the object is gone, so refresh drops it from the state.
      if (!outcome) return { id: "", props: {} };
      return { id, props: compact({ ...scrubServerText(def, outcome.outputs, ctx), [TARGET_OUTPUT]: target }), inputs: compact(outcome.inputs) };
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
      const ctx = contextFor(target, inputs, state);
      const outputs = await guarded(ctx, target, "update", news[PROVIDER_KEY], async () => {
        try {
          return await def.update(ctx, id, state, inputs, changes);
        } catch (err) {
          // Only a 404 on the object itself means it is gone (not one on, say, a table row of a source).
          if (!(err instanceof NotFoundError && err.path.includes(`/${encodeURIComponent(id)}/`))) throw err;
          throw new ResourceOperationError(ctx.label, "update", new Error(`${id} is gone from PostHog (${err.message}); it was deleted outside Pulumi. Run \`pulumi refresh\` to drop it from the state, then \`pulumi up\` creates it again.`));
        }
      });
      return { outs: compact({ ...scrubServerText(def, outputs, ctx), [TARGET_OUTPUT]: target }) };
    },

    async delete(id: string, props: Props) {
      const state = withoutProvider(props);
      const target = targetOf(state);
      const ctx = contextFor(target, state);
      await guarded(ctx, target, "delete", props[PROVIDER_KEY], async () => {
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
