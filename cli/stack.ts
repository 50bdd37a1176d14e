import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { resolveConnection, type ProviderConfig } from "../provider/config";
import { UsageError } from "./options";

export interface StackTarget {
  cwd: string;
  stack?: string | undefined;
}

/**
 * The user's stack, exactly as `pulumi` in that folder sees it (Pulumi.yaml, Pulumi.<stack>.yaml, the backend and
 * passphrase from the environment), its program run by the `pulumi` CLI on PATH through the Node.js language host,
 * as `pulumi preview` runs it: TypeScript with the project's tsconfig, CommonJS or ESM JavaScript, `main:` in
 * Pulumi.yaml, other providers' resources alike.
 */
export async function openStack(target: StackTarget): Promise<Stack> {
  const probe = await LocalWorkspace.create({ workDir: target.cwd });
  const stackName = target.stack ?? (await probe.stack())?.name;
  if (!stackName) throw new UsageError("no stack selected: pass --stack <name>");
  // PULUMI_SKIP_CONFIRMATIONS would turn into --yes, which `refresh --preview-only` refuses.
  return LocalWorkspace.selectStack({ stackName, workDir: target.cwd }, { envVars: { PULUMI_SKIP_CONFIRMATIONS: "false" } });
}

/** The PostHog connection the provider would use for this stack: stack config first, then the environment. */
export async function stackConnection(stack: Stack): Promise<ProviderConfig> {
  const config = await stack.getAllConfig();
  return resolveConnection({ get: (key) => config[key]?.value }, process.env);
}
