import { NotFoundError } from "../client";
import { ConfigurationError, type ConnectionOverrides } from "../config";
import { checkInputs, type CheckFailure } from "./check";
import type { AnyResourceDefinition, OperationContext } from "./definition";
import { diffProperties, type PropertyChange } from "./diff";
import { diffNote, formatDiffNote } from "./diff-note";
import { PartialFailureError, ResourceOperationError } from "./errors";
import { compact, UNKNOWN } from "./values";

/** What the lifecycle needs from the process it runs in: a context (client, progress) for a resource's project. */
export interface LifecycleServices {
  context(overrides: ConnectionOverrides, label: string): OperationContext;
  warn(message: string): void;
  /** Machine-readable notes for tools reading the event stream (see diff-note.ts); users see them only with -v. */
  debug?(message: string): void;
  /** Why the connection these overrides lead to is refused before any request (the http rule), if it is. */
  connectionProblem?(overrides: ConnectionOverrides): string | undefined;
}

export type Props = Record<string, unknown>;

export type CheckResult = { inputs: Props; failures?: undefined } | { inputs: Props; failures: CheckFailure[] };

export interface DiffResult {
  changes: PropertyChange[];
  /** Work an earlier step left undone (definition.pendingWork): the resource needs an update even with no change. */
  pending: boolean;
  deleteBeforeReplace: boolean;
}

/**
 * The one generic lifecycle every resource shares, independent of how the engine reaches it: check (zod, no HTTP),
 * diff (local, property by property), and create/read/update/delete delegated to the definition with uniform error
 * wording, secret scrubbing and partial-failure bookkeeping. Adapters (the dynamic provider in lifecycle.ts, the
 * native plugin in ../native) only translate the engine's protocol to these calls; values here are plain, with no
 * secret wrappers.
 */
export interface ResourceOperations {
  readonly definition: AnyResourceDefinition;
  /** `olds`: the previous inputs (empty at create), for refusals that depend on the transition. */
  check(news: Props, olds?: Props): CheckResult;
  diff(id: string, olds: Props, news: Props): DiffResult;
  create(inputs: Props): Promise<{ id: string; outputs: Props }>;
  /** `undefined` when the object is gone. */
  read(id: string, state: Props): Promise<{ outputs: Props; inputs: Props } | undefined>;
  update(id: string, olds: Props, news: Props): Promise<Props>;
  delete(id: string, state: Props): Promise<void>;
}

function overridesOf(props: Props): ConnectionOverrides {
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  return { projectId: str(props.projectId), host: str(props.host) };
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

export function resourceOperations(def: AnyResourceDefinition, services: LifecycleServices): ResourceOperations {
  /** The operation's context; the client learns the secret values of every version of the props it will send or hold. */
  const contextFor = (props: Props, ...others: Props[]): OperationContext => {
    const ctx = services.context(overridesOf(props), def.label(props));
    for (const p of [props, ...others]) ctx.client.secrets?.add(...(def.secretValues?.(p) ?? []));
    return ctx;
  };

  async function guarded<T>(ctx: OperationContext, operation: string, run: () => Promise<T>): Promise<T> {
    const scrub = (text: string) => ctx.client.secrets?.scrub(text) ?? text;
    try {
      return await run();
    } catch (err) {
      if (err instanceof PartialFailureError) throw new PartialFailureError(scrub(err.message), err.id, compact(err.properties), err.reasons.map(scrub));
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
    definition: def,

    check(news, olds = {}) {
      const outcome = checkInputs(def.inputs, news);
      // The engine prints a failing property's whole value ("property jobInputs value {map[… password:{&{{…}}}]}"),
      // secrets in plaintext; for a property that can hold them, the reason alone names the path.
      const unnamed = (failures: CheckFailure[]) => failures.map((f) => (def.secretProperties?.includes(f.property) ? { property: "", reason: f.reason } : f));
      if (!outcome.ok) return { inputs: news, failures: unnamed(outcome.failures) };
      const transition = Object.keys(olds).length > 0 ? (def.checkTransition?.(olds, outcome.value) ?? []) : [];
      if (transition.length > 0) return { inputs: news, failures: unnamed(transition) };
      // The http rule, before any request can carry the API key (a host still unknown in preview is checked at up).
      if (news.host !== UNKNOWN) {
        const overrides = overridesOf(news);
        const problem = services.connectionProblem?.(overrides);
        if (problem && overrides.host) return { inputs: news, failures: [{ property: "host", reason: problem }] };
        if (problem) throw new ConfigurationError(`${def.label(outcome.value as Props)}: ${problem}`);
      }
      for (const warning of def.warnings?.(outcome.value) ?? []) services.warn(`${def.label(outcome.value)}: ${warning}`);
      return { inputs: compact(outcome.value) as Props };
    },

    diff(id, olds, news) {
      const changes = diffProperties(olds, news, def.diff);
      if (changes.length > 0) services.debug?.(formatDiffNote(diffNote(id, olds, news, changes)));
      const replacing = changes.some((c) => c.replace);
      const pending = (def.pendingWork?.(olds) ?? []).length > 0;
      return { changes, pending, deleteBeforeReplace: replacing && (def.deleteBeforeReplace?.(olds, news) ?? false) };
    },

    async create(inputs) {
      const ctx = contextFor(inputs);
      const adoptId = def.adoptId?.(inputs);
      const outcome = await guarded(ctx, adoptId ? `adopting ${adoptId}` : "create", () => (adoptId ? def.adopt(ctx, adoptId, inputs) : def.create(ctx, inputs)));
      return { id: outcome.id, outputs: compact(scrubServerText(def, outcome.outputs, ctx)) };
    },

    async read(id, state) {
      const ctx = contextFor(state);
      const outcome = await guarded(ctx, `read of ${id}`, () => def.read(ctx, id, state));
      if (!outcome) return undefined;
      return { outputs: compact(scrubServerText(def, outcome.outputs, ctx)), inputs: compact(outcome.inputs) as Props };
    },

    async update(id, olds, news) {
      const ctx = contextFor(news, olds);
      const changes = diffProperties(olds, news, def.diff);
      const pending = def.pendingWork?.(olds) ?? [];
      if (pending.length === 0 && changes.every((c) => def.localProperties.includes(c.property))) {
        // Only provider-steering settings changed: record them, call nothing.
        const kept = Object.fromEntries(Object.entries(olds).filter(([key]) => !def.localProperties.includes(key)));
        const locals = Object.fromEntries(Object.entries(news).filter(([key]) => def.localProperties.includes(key)));
        return compact({ ...kept, ...locals });
      }
      const outputs = await guarded(ctx, "update", async () => {
        try {
          return await def.update(ctx, id, olds, news, changes);
        } catch (err) {
          // Only a 404 on the object itself means it is gone (not one on, say, a table row of a source).
          if (!(err instanceof NotFoundError && err.path.includes(`/${encodeURIComponent(id)}/`))) throw err;
          throw new ResourceOperationError(ctx.label, "update", new Error(`${id} is gone from PostHog (${err.message}); it was deleted outside Pulumi. Run \`pulumi refresh\` to drop it from the state, then \`pulumi up\` creates it again.`));
        }
      });
      return compact(scrubServerText(def, outputs, ctx));
    },

    async delete(id, state) {
      const ctx = contextFor(state);
      await guarded(ctx, "delete", async () => {
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
