import * as grpc from "@grpc/grpc-js";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as plugin from "@pulumi/pulumi/proto/plugin_pb";
import * as proto from "@pulumi/pulumi/proto/provider_pb";
import * as status from "@pulumi/pulumi/proto/status_pb";
import { providerConfigSchema, type ConfigSource } from "../config";
import { changedLeafPaths } from "../resource/diff-note";
import type { PropertyChange } from "../resource/diff";
import type { AnyResourceDefinition } from "../resource/definition";
import { PartialFailureError } from "../resource/errors";
import { TARGET_OUTPUT } from "../resource/target";
import { resourceOperations, type LifecycleServices, type ResourceOperations } from "../resource/operations";
import { formatPath, getPath, UNKNOWN } from "../resource/values";
import { definitions } from "../resources/registry";
import { PACKAGE_NAME, type PackageSchema } from "./schema";
import { unwrap, wrap, type Path, type Props } from "./values";

/** Provider config properties that are secrets (the API key): kept secret in the provider's own state. */
const SECRET_CONFIG: Path[] = Object.entries(providerConfigSchema.shape)
  .filter(([, field]) => (field.meta() as { secret?: boolean } | undefined)?.secret)
  .map(([name]) => [name]);

/** A gRPC error the engine shows as the step's failure; `details` carry structured data (init failures). */
export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly metadata?: grpc.Metadata,
  ) {
    super(message);
  }
}

function initFailed(err: PartialFailureError, inputs: Props, secretPaths: readonly Path[]): RpcError {
  // The engine records `properties` under `id` (nothing orphaned) and retries the update at the next `up`.
  const detail = new proto.ErrorResourceInitFailed();
  detail.setId(err.id);
  detail.setProperties(wrap(err.properties, secretPaths));
  detail.setInputs(wrap(inputs, secretPaths));
  detail.setReasonsList(err.reasons);
  const any = new Any();
  any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
  const st = new status.Status();
  st.setCode(grpc.status.UNKNOWN);
  st.setMessage(err.message);
  st.addDetails(any);
  const metadata = new grpc.Metadata();
  metadata.add("grpc-status-details-bin", Buffer.from(st.serializeBinary()));
  return new RpcError(grpc.status.UNKNOWN, err.message, metadata);
}

function propertyDiffKind(change: PropertyChange, before: unknown, after: unknown): proto.PropertyDiff.Kind {
  const K = proto.PropertyDiff.Kind;
  const absent = (v: unknown) => v === undefined || v === null;
  if (absent(before)) return change.replace ? K.ADD_REPLACE : K.ADD;
  if (absent(after)) return change.replace ? K.DELETE_REPLACE : K.DELETE;
  return change.replace ? K.UPDATE_REPLACE : K.UPDATE;
}

/** Pulumi property path syntax: `jobInputs.auth_method.stripe_secret_key`, `schemas[0]`. */
function propertyPath(path: readonly string[]): string {
  return formatPath(path.map((key) => (/^\d+$/.test(key) ? Number(key) : key)));
}

/**
 * The native adapter: Pulumi's ResourceProvider gRPC protocol over the same definitions and generic lifecycle
 * (resource/operations.ts) the dynamic providers use. What only a native provider can do lives here: a detailed
 * diff per property path, reads that return inputs (import), secrets carried through and re-marked, previews
 * answered without API calls, and messages attached to the resource's URN.
 */
export class NativeProvider {
  private config: Props = {};
  private readonly ops = new Map<string, ResourceOperations>();

  constructor(
    private readonly schema: { text: string; schema: PackageSchema },
    private readonly services: (urn: string) => LifecycleServices,
  ) {}

  /** What resolveConnection reads: `posthog:<key>` is this provider's own config key `<key>`. */
  readonly configSource: ConfigSource = {
    get: (key) => {
      const value = this.config[key.replace(/^posthog:/, "")];
      // A project id written unquoted in Pulumi.yaml's config arrives as a number.
      return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
    },
  };

  private resource(urnOrType: string, urn: string): { def: AnyResourceDefinition; ops: ResourceOperations } {
    // The request's type, else the URN's last type segment (`...::posthog-warehouse:index:SavedQuery::name`).
    const token = urnOrType || (urn.split("::")[2]?.split("$").at(-1) ?? "");
    const typeName = token.startsWith(`${PACKAGE_NAME}:index:`) ? token.slice(`${PACKAGE_NAME}:index:`.length) : "";
    const def = (definitions as Record<string, AnyResourceDefinition>)[typeName];
    if (!def) throw new RpcError(grpc.status.INVALID_ARGUMENT, `${PACKAGE_NAME}: unknown resource type ${token || urn}`);
    const key = `${token}\u0000${urn}`;
    let ops = this.ops.get(key);
    if (!ops) {
      ops = resourceOperations(def, this.services(urn));
      this.ops.set(key, ops);
    }
    return { def, ops };
  }

  private secretPaths(def: AnyResourceDefinition, inputs: Props, carried: readonly Path[]): Path[] {
    let declared: ReadonlyArray<readonly string[]> = [];
    try {
      declared = def.secretPaths?.(inputs) ?? [];
    } catch {
      // Inputs that fail validation have no reliable shape; only the carried secrets apply.
    }
    return [...carried, ...declared];
  }

  getPluginInfo(): plugin.PluginInfo {
    return new plugin.PluginInfo().setVersion(this.schema.schema.version);
  }

  getSchema(): proto.GetSchemaResponse {
    return new proto.GetSchemaResponse().setSchema(this.schema.text);
  }

  checkConfig(req: proto.CheckRequest): proto.CheckResponse {
    const { value, secretPaths } = unwrap(req.getNews());
    const known = Object.fromEntries(Object.entries(value).filter(([k, v]) => k in providerConfigSchema.shape && v !== UNKNOWN));
    const failures = Object.entries(known).flatMap(([key, v]) => {
      const parsed = providerConfigSchema.shape[key as keyof typeof providerConfigSchema.shape].safeParse(v);
      return parsed.success ? [] : [new proto.CheckFailure().setProperty(key).setReason(`${PACKAGE_NAME}:${key} ${parsed.error.issues[0]?.message ?? "is invalid"}`)];
    });
    return new proto.CheckResponse().setInputs(wrap(value, [...secretPaths, ...SECRET_CONFIG])).setFailuresList(failures);
  }

  diffConfig(req: proto.DiffRequest): proto.DiffResponse {
    // Credentials and defaults change in place: a provider replacement would replace every resource it manages.
    const olds = unwrap(req.getOldInputs() ?? req.getOlds()).value;
    const news = unwrap(req.getNews()).value;
    const changed = Object.keys(providerConfigSchema.shape).filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    const res = new proto.DiffResponse().setChanges(changed.length > 0 ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE);
    res.setDiffsList(changed).setHasdetaileddiff(true);
    for (const k of changed) res.getDetaileddiffMap().set(k, new proto.PropertyDiff().setKind(proto.PropertyDiff.Kind.UPDATE).setInputdiff(true));
    return res;
  }

  configure(req: proto.ConfigureRequest): proto.ConfigureResponse {
    const args = req.getArgs();
    if (args) this.config = unwrap(args).value;
    else {
      // Engines that send only the flat map name keys `posthog-warehouse:config:<key>`.
      this.config = {};
      req.getVariablesMap().forEach((value, key) => (this.config[key.split(":").at(-1)!] = value));
    }
    return new proto.ConfigureResponse().setAcceptsecrets(true).setSupportspreview(true).setAcceptresources(false);
  }

  check(req: proto.CheckRequest): proto.CheckResponse {
    const { def, ops } = this.resource(req.getType(), req.getUrn());
    const news = unwrap(req.getNews());
    const outcome = ops.check(news.value);
    const res = new proto.CheckResponse();
    if (outcome.failures) {
      return res.setInputs(wrap(news.value, news.secretPaths)).setFailuresList(outcome.failures.map((f) => new proto.CheckFailure().setProperty(f.property).setReason(f.reason)));
    }
    // Checked inputs are what the engine stores: declared secret fields become secrets here even when passed plain.
    return res.setInputs(wrap(outcome.inputs, this.secretPaths(def, outcome.inputs, news.secretPaths)));
  }

  diff(req: proto.DiffRequest): proto.DiffResponse {
    const { ops } = this.resource(req.getType(), req.getUrn());
    const olds = unwrap(req.getOlds()).value;
    const news = unwrap(req.getNews()).value;
    const ignored = new Set(req.getIgnorechangesList());
    const { changes, deleteBeforeReplace } = ops.diff(req.getId(), olds, news);
    const kept = changes.filter((c) => !ignored.has(c.property));
    const res = new proto.DiffResponse()
      .setChanges(kept.length > 0 ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE)
      .setDiffsList(kept.map((c) => c.property))
      .setReplacesList(kept.filter((c) => c.replace).map((c) => c.property))
      .setDeletebeforereplace(deleteBeforeReplace && kept.some((c) => c.replace))
      .setHasdetaileddiff(true);
    for (const change of kept) {
      const leaves = changedLeafPaths(olds[change.property], news[change.property], [change.property]);
      // A change by the definition's own equality with no differing leaf (cannot happen today) is reported whole.
      for (const leaf of leaves.length > 0 ? leaves : [[change.property]]) {
        const kind = propertyDiffKind(change, getPath(olds, leaf), getPath(news, leaf));
        res.getDetaileddiffMap().set(propertyPath(leaf), new proto.PropertyDiff().setKind(kind).setInputdiff(true));
      }
    }
    return res;
  }

  async create(req: proto.CreateRequest): Promise<proto.CreateResponse> {
    const { def, ops } = this.resource(req.getType(), req.getUrn());
    const inputs = unwrap(req.getProperties());
    const secrets = this.secretPaths(def, inputs.value, inputs.secretPaths);
    if (req.getPreview()) {
      // No API call in a preview: outputs are unknown until the object exists.
      const planned: Props = { ...inputs.value };
      for (const name of [...(def.outputs ?? []), TARGET_OUTPUT]) planned[name] ??= UNKNOWN;
      return new proto.CreateResponse().setId("").setProperties(wrap(planned, secrets));
    }
    try {
      const { id, outputs } = await ops.create(inputs.value);
      return new proto.CreateResponse().setId(id).setProperties(wrap(outputs, secrets));
    } catch (err) {
      throw err instanceof PartialFailureError ? initFailed(err, inputs.value, secrets) : err;
    }
  }

  async read(req: proto.ReadRequest): Promise<proto.ReadResponse> {
    const { def, ops } = this.resource(req.getType(), req.getUrn());
    // An import sends no properties: the definition then reports everything PostHog holds.
    const state = unwrap(req.getProperties());
    const oldInputs = unwrap(req.getInputs());
    const outcome = await ops.read(req.getId(), { ...oldInputs.value, ...state.value });
    if (!outcome) return new proto.ReadResponse().setId("");
    const secrets = this.secretPaths(def, outcome.inputs, [...state.secretPaths, ...oldInputs.secretPaths]);
    return new proto.ReadResponse().setId(req.getId()).setProperties(wrap(outcome.outputs, secrets)).setInputs(wrap(outcome.inputs, secrets));
  }

  async update(req: proto.UpdateRequest): Promise<proto.UpdateResponse> {
    const { def, ops } = this.resource(req.getType(), req.getUrn());
    const olds = unwrap(req.getOlds());
    const news = unwrap(req.getNews());
    const secrets = this.secretPaths(def, news.value, [...news.secretPaths, ...olds.secretPaths]);
    if (req.getPreview()) return new proto.UpdateResponse().setProperties(wrap({ ...olds.value, ...news.value }, secrets));
    try {
      return new proto.UpdateResponse().setProperties(wrap(await ops.update(req.getId(), olds.value, news.value), secrets));
    } catch (err) {
      throw err instanceof PartialFailureError ? initFailed(err, news.value, secrets) : err;
    }
  }

  async delete(req: proto.DeleteRequest): Promise<Empty> {
    const { ops } = this.resource(req.getType(), req.getUrn());
    await ops.delete(req.getId(), unwrap(req.getProperties()).value);
    return new Empty();
  }

}
