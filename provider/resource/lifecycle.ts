import type * as pulumi from "@pulumi/pulumi";
import type { AnyResourceDefinition } from "./definition";
import { PartialFailureError } from "./errors";
import { resourceOperations, type LifecycleServices, type Props } from "./operations";

export type { LifecycleServices } from "./operations";

const PROVIDER_KEY = "__provider";

function withoutProvider(props: Props): Props {
  const { [PROVIDER_KEY]: _provider, ...rest } = props;
  return rest;
}

/**
 * The dynamic-provider adapter of the generic lifecycle (operations.ts): strips and restores the serialized
 * `__provider` the dynamic-provider host keeps in every resource's properties.
 */
export function toDynamicProvider(def: AnyResourceDefinition, services: LifecycleServices): pulumi.dynamic.ResourceProvider {
  const ops = resourceOperations(def, services);

  async function keepingProvider<T>(provider: unknown, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      // The host needs `__provider` in the recorded properties, or later steps could not load the provider.
      if (err instanceof PartialFailureError) throw new PartialFailureError(err.message, err.id, { ...err.properties, [PROVIDER_KEY]: provider }, err.reasons);
      throw err;
    }
  }

  return {
    async check(olds: Props, news: Props) {
      const outcome = ops.check(withoutProvider(news), withoutProvider(olds ?? {}));
      return outcome.failures ? { inputs: news, failures: outcome.failures } : { inputs: outcome.inputs };
    },

    async diff(id: string, olds: Props, news: Props) {
      const { changes, pending, deleteBeforeReplace } = ops.diff(id, withoutProvider(olds), withoutProvider(news));
      return { changes: changes.length > 0 || pending, replaces: changes.filter((c) => c.replace).map((c) => c.property), deleteBeforeReplace };
    },

    async create(news: Props) {
      const { id, outputs } = await keepingProvider(news[PROVIDER_KEY], () => ops.create(withoutProvider(news)));
      return { id, outs: outputs };
    },

    async read(id: string, props: Props) {
      const outcome = await keepingProvider(props?.[PROVIDER_KEY], () => ops.read(id, withoutProvider(props ?? {})));
      // An empty id tells the engine the object is gone, so refresh drops it from the state.
      if (!outcome) return { id: "", props: {} };
      return { id, props: outcome.outputs, inputs: outcome.inputs };
    },

    async update(id: string, olds: Props, news: Props) {
      return { outs: await keepingProvider(news[PROVIDER_KEY], () => ops.update(id, withoutProvider(olds), withoutProvider(news))) };
    },

    async delete(id: string, props: Props) {
      await keepingProvider(props[PROVIDER_KEY], () => ops.delete(id, withoutProvider(props)));
    },
  };
}
