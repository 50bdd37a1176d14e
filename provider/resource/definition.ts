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

/**
 * One resource type: how to validate its inputs, which changes PostHog can apply in place, and how each lifecycle
 * step maps onto API calls. The generic lifecycle (lifecycle.ts) does everything else: config, clients, check
 * failures, diffs, error wording, partial-failure bookkeeping.
 */
export interface ResourceDefinition<TInputs extends Record<string, unknown>, TOutputs extends TInputs> {
  /** The resource's type name as users see it, e.g. "ExternalDataSource". */
  readonly typeName: string;
  /** The module the thin provider loads in the provider process (see runtime/registry.ts). */
  readonly inputs: z.ZodType<TInputs>;
  readonly diff: DiffSpec;
  /**
   * Properties that only steer the provider (hooks, adoption, waiting): a change to them alone makes no API call,
   * the lifecycle records the new values without calling `update`.
   */
  readonly localProperties: readonly string[];
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
  deleteBeforeReplace?(olds: TOutputs, news: TInputs): boolean;
  /** Id of an existing object to take over instead of creating one, if the inputs ask for it. */
  adoptId?(inputs: TInputs): string | undefined;
  create(ctx: OperationContext, inputs: TInputs): Promise<CreateOutcome<TOutputs>>;
  adopt(ctx: OperationContext, id: string, inputs: TInputs): Promise<CreateOutcome<TOutputs>>;
  /** `undefined` when the object is gone (404 or deleted): refresh then drops it from the state. */
  read(ctx: OperationContext, id: string, state: TOutputs): Promise<ReadOutcome<TInputs, TOutputs> | undefined>;
  update(ctx: OperationContext, id: string, olds: TOutputs, news: TInputs, changes: PropertyChange[]): Promise<TOutputs>;
  delete(ctx: OperationContext, id: string, state: TOutputs): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds definitions of different input types
export type AnyResourceDefinition = ResourceDefinition<any, any>;
