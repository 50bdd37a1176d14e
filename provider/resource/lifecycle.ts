import type * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "../client";
import { ConfigurationError, type ConnectionOverrides } from "../config";
import { checkInputs, type CheckFailure } from "./check";
import type { AnyResourceDefinition, OperationContext } from "./definition";
import { diffProperties } from "./diff";
import { diffNote, formatDiffNote } from "./diff-note";
import { PartialFailureError, ResourceOperationError } from "./errors";
import { compact, UNKNOWN } from "./values";

const PROVIDER_KEY = "__provider";

/** What the lifecycle needs from the process it runs in: a context (client, progress) for a resource's project. */
export interface LifecycleServices {
  context(overrides: ConnectionOverrides, label: string): OperationContext;
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

function overridesOf(props: Props): ConnectionOverrides {
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  return { projectId: str(props.projectId), host: str(props.host) };
}

/**
 * The one generic lifecycle every resource shares: check (zod, no HTTP), diff (local, property by property), and
 * create/read/update/delete delegated to the definition with uniform error wording and partial-failure bookkeeping.
 */
export function toDynamicProvider(def: AnyResourceDefinition, services: LifecycleServices): pulumi.dynamic.ResourceProvider {
  /** The operation's context; the client learns the secret values of every version of the props it will send or hold. */
  const contextFor = (props: Props, ...others: Props[]): OperationContext => {
    const ctx = services.context(overridesOf(props), def.label(props));
    for (const p of [props, ...others]) ctx.client.secrets?.add(...(def.secretValues?.(p) ?? []));
    return ctx;
  };

  async function guarded<T>(ctx: OperationContext, operation: string, provider: unknown, run: () => Promise<T>): Promise<T> {
    const scrub = (text: string) => ctx.client.secrets?.scrub(text) ?? text;
    try {
      return await run();
    } catch (err) {
      if (err instanceof PartialFailureError) {
        // The host needs `__provider` in the recorded properties, or later steps could not load the provider.
        throw new PartialFailureError(scrub(err.message), err.id, { ...compact(err.properties), [PROVIDER_KEY]: provider }, err.reasons.map(scrub));
      }
      if (err instanceof ResourceOperationError) {
        err.message = scrub(err.message);
        throw err;
      }
      const wrapped = new ResourceOperationError(ctx.label, operation, err);
      wrapped.message = scrub(wrapped.message);
      throw wrapped;
    }
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
      const changes = diffProperties(olds, news, def.diff);
      if (changes.length > 0) services.debug?.(formatDiffNote(diffNote(id, olds, news, changes)));
      const replaces = changes.filter((c) => c.replace).map((c) => c.property);
      const pending = def.pendingWork?.(withoutProvider(olds)) ?? [];
      return {
        changes: changes.length > 0 || pending.length > 0,
        replaces,
        deleteBeforeReplace: replaces.length > 0 && (def.deleteBeforeReplace?.(olds, news) ?? false),
      };
    },

    async create(news: Props) {
      const inputs = withoutProvider(news);
      const ctx = contextFor(inputs);
      const adoptId = def.adoptId?.(inputs);
      const outcome = await guarded(ctx, adoptId ? `adopting ${adoptId}` : "create", news[PROVIDER_KEY], () =>
        adoptId ? def.adopt(ctx, adoptId, inputs) : def.create(ctx, inputs),
      );
      return { id: outcome.id, outs: compact(scrubServerText(def, outcome.outputs, ctx)) };
    },

    async read(id: string, props: Props) {
      const state = withoutProvider(props ?? {});
      const ctx = contextFor(state);
      const outcome = await guarded(ctx, `read of ${id}`, props?.[PROVIDER_KEY], () => def.read(ctx, id, state));
      // An empty id tells the engine the object is gone, so refresh drops it from the state.
      if (!outcome) return { id: "", props: {} };
      return { id, props: compact(scrubServerText(def, outcome.outputs, ctx)), inputs: compact(outcome.inputs) };
    },

    async update(id: string, olds: Props, news: Props) {
      const inputs = withoutProvider(news);
      const ctx = contextFor(inputs, withoutProvider(olds));
      const changes = diffProperties(olds, inputs, def.diff);
      const pending = def.pendingWork?.(withoutProvider(olds)) ?? [];
      if (pending.length === 0 && changes.every((c) => def.localProperties.includes(c.property))) {
        // Only provider-steering settings changed: record them, call nothing.
        const kept = Object.fromEntries(Object.entries(withoutProvider(olds)).filter(([key]) => !def.localProperties.includes(key)));
        const locals = Object.fromEntries(Object.entries(inputs).filter(([key]) => def.localProperties.includes(key)));
        return { outs: compact({ ...kept, ...locals }) };
      }
      const outputs = await guarded(ctx, "update", news[PROVIDER_KEY], async () => {
        try {
          return await def.update(ctx, id, withoutProvider(olds), inputs, changes);
        } catch (err) {
          // Only a 404 on the object itself means it is gone (not one on, say, a table row of a source).
          if (!(err instanceof NotFoundError && err.path.includes(`/${encodeURIComponent(id)}/`))) throw err;
          throw new ResourceOperationError(ctx.label, "update", new Error(`${id} is gone from PostHog (${err.message}); it was deleted outside Pulumi. Run \`pulumi refresh\` to drop it from the state, then \`pulumi up\` creates it again.`));
        }
      });
      return { outs: compact(scrubServerText(def, outputs, ctx)) };
    },

    async delete(id: string, props: Props) {
      const state = withoutProvider(props);
      const ctx = contextFor(state);
      await guarded(ctx, "delete", props[PROVIDER_KEY], async () => {
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
