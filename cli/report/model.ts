/** The reports `plan` and `drift` print: the JSON they write is exactly these shapes. */

export type PlanOp = "create" | "adopt" | "update" | "replace" | "delete";

export interface PropertyReport {
  /** Dotted path, e.g. `jobInputs.auth_method.stripe_secret_key`. */
  path: string;
  change: "added" | "removed" | "changed" | "unchanged";
  /** Secrets carry no value, only whether they changed. */
  secret: boolean;
  before?: unknown;
  after?: unknown;
  /** This change forces a replacement. */
  replaces?: boolean;
  /** Unified diff of multi-line text (HogQL queries). */
  textDiff?: string;
}

export interface ResourceReport {
  urn: string;
  type: string;
  name: string;
  id?: string;
  properties: PropertyReport[];
}

export interface PlannedChange extends ResourceReport {
  op: PlanOp;
}

export interface PlanReport {
  stack: string;
  summary: Record<PlanOp | "same", number>;
  changes: PlannedChange[];
}

export interface UnmanagedObject {
  type: "ExternalDataSource" | "SavedQuery" | "WarehouseTable" | "WarehouseJoin";
  id: string;
  name: string;
}

export interface DriftReport {
  stack: string;
  drifted: boolean;
  /** Resources whose properties differ in PostHog from the state. */
  changed: ResourceReport[];
  /** Resources in the state that PostHog no longer has. */
  deleted: ResourceReport[];
  /** Sources and views in the stack's PostHog project that the stack does not manage. */
  unmanaged: UnmanagedObject[];
  /** Not listed as unmanaged: views PostHog manages itself, and objects `--ignore` / `--ignore-stack` account for. */
  leftOut: { postHogManagedViews: number; ignored: number };
}
