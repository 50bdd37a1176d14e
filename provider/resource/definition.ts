import type { z } from "zod";
import type { PostHogClient } from "../client";
import type { ProviderConfig } from "../config";
import type { CheckFailure } from "./check";
import type { DiffSpec, PropertyChange } from "./diff";

/** What a lifecycle step can use: the client for the resource's project, and a way to tell the user what it is doing. */
export interface OperationContext {
  readonly client: PostHogClient;
  readonly connection: Omit<ProviderConfig, "apiKey">;
  /** A short human name of the object, e.g. `ExternalDataSource Stripe (prefix "billing_")`. */
  readonly label: string;
  progress(message: string): void;
  warn(message: string): void;
}

export interface CreateOutcome<TOutputs> {
  id: string;
  outputs: TOutputs;
}

export interface ReadOutcome<TInputs, TOutputs> {
  outputs: TOutputs;
  /** The inputs as PostHog reports them, so refresh records drift and the next preview shows how to undo it. */
  inputs: TInputs;
}

export interface Created<TRemote> {
  id: string;
  remote?: TRemote;
}

/** The live object that holds a natural key, as PostHog lists it. */
export interface KeyHolder {
  id: string;
  /** When PostHog made it, as it reports it (ISO 8601): recovery after a lost create response compares it. */
  createdAt?: string | null | undefined;
}

/**
 * What identifies a resource's object among its siblings in one host and project: PostHog holds at most one live
 * object per key (a view's name; a source's type + prefix). The generic lifecycle (identity.ts) uses it to check the
 * key is free before a create, to recover after a create whose outcome is unknown, and to delete first when a
 * replacement keeps the key. A definition only says which inputs form the key and how to find the object holding it.
 */
export interface NaturalKey<TInputs> {
  readonly properties: readonly (keyof TInputs & string)[];
  /** How a user would name the object by its key, e.g. `a view named "x"`. */
  describe(inputs: TInputs): string;
  /** The live object holding the key, if any: read from PostHog each time, never from a cache. */
  find(ctx: OperationContext, inputs: TInputs): Promise<KeyHolder | undefined>;
  /** PostHog refused the create because the key is taken (an object appeared after the pre-check). */
  isTakenError(err: unknown): boolean;
  /** Inputs the create request itself carries and PostHog reports right after: a found object must match them. */
  readonly sentOnCreate: readonly (keyof TInputs & string)[];
}

/**
 * One resource type: how to validate its inputs, which changes PostHog can apply in place, its natural key, and how
 * each lifecycle step maps onto API calls. The generic lifecycle (lifecycle.ts, identity.ts) does everything else:
 * config and target, clients, check failures, diffs, error wording, ownership (pre-create key check, recovery after
 * an ambiguous create, adoption, delete-before-replace) and partial-failure bookkeeping.
 */
export interface ResourceDefinition<TInputs extends Record<string, unknown>, TOutputs extends TInputs, TRemote = unknown> {
  /** The resource's type name as users see it, e.g. "ExternalDataSource". */
  readonly typeName: string;
  readonly inputs: z.ZodType<TInputs>;
  /** What the diff compares; the target overrides (`projectId`, `host`) are the lifecycle's, not listed here. */
  readonly diff: DiffSpec;
  /**
   * Properties that only steer the provider (hooks, adoption, waiting): a change to them alone makes no API call,
   * the lifecycle records the new values without calling `update`.
   */
  readonly localProperties: readonly string[];
  /** Properties whose values never appear in messages (they may hold secrets): differences name the path only. */
  readonly valuesNotShown?: readonly string[];
  readonly key: NaturalKey<TInputs>;
  /**
   * Work an earlier step recorded as not done (e.g. a hook that failed), by name. Non-empty makes `diff` report a
   * change even when no input changed, so the next `up` finishes it, also after a refresh.
   */
  pendingWork?(state: TOutputs): string[];
  /** Refusals that depend on the old inputs too (a removal PostHog cannot apply), reported at check like schema failures. */
  checkTransition?(olds: TInputs, news: TInputs): CheckFailure[];
  /** Extra validation that needs more than the schema (e.g. warnings about unvalidated source types). */
  warnings?(inputs: TInputs): string[];
  label(inputs: TInputs): string;
  /**
   * The values of the inputs' secret fields (from PostHog's own field definitions). The client scrubs them from every
   * error text, in any spelling PostHog may echo them.
   */
  secretValues?(inputs: TInputs): unknown[];
  /** Outputs holding PostHog's own free text (a sync's error): scrubbed of the secrets the client holds before the state. */
  readonly serverText?: readonly string[];
  /** Properties that can hold secrets: a check failure inside one names only the path, never the value (see check). */
  readonly secretProperties?: readonly string[];
  /**
   * The one create request, sent once: the new object's id, and PostHog's answer when it carries the object. A
   * failure is thrown as is; the lifecycle decides whether the object may exist and whether it is this create's.
   */
  create(ctx: OperationContext, inputs: TInputs): Promise<Created<TRemote>>;
  /**
   * Everything after the object exists (follow-up settings, waiting); throws PartialFailureError if one fails.
   * `created.remote` is absent when the object was found after a lost response.
   */
  completeCreate(ctx: OperationContext, created: Created<TRemote>, inputs: TInputs): Promise<TOutputs>;
  /**
   * `undefined` when the object is gone (404 or deleted): refresh then drops it from the state. Adoption reads with
   * the declared inputs as `state` and compares the reported inputs with them.
   */
  read(ctx: OperationContext, id: string, state: TOutputs): Promise<ReadOutcome<TInputs, TOutputs> | undefined>;
  update(ctx: OperationContext, id: string, olds: TOutputs, news: TInputs, changes: PropertyChange[]): Promise<TOutputs>;
  delete(ctx: OperationContext, id: string, state: TOutputs): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds definitions of different input types
export type AnyResourceDefinition = ResourceDefinition<any, any, any>;
