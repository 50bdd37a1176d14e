/** `npm run emulator -- --port N [--api-key K] [--project-id P] [--persist file] [--rate-limit 480/4800]` */
import { startEmulator } from "./index";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const rate = arg("rate-limit")?.split("/").map(Number);
  const emulator = await startEmulator({
    port: Number(arg("port") ?? 0),
    ...(arg("api-key") ? { apiKey: arg("api-key") } : {}),
    ...(arg("project-id") ? { projectId: Number(arg("project-id")) } : {}),
    ...(arg("persist") ? { persistPath: arg("persist") } : {}),
    ...(rate && rate.length === 2 ? { rateLimit: { perMinute: rate[0]!, perHour: rate[1]! } } : {}),
  });
  console.log(JSON.stringify({ url: emulator.url, apiKey: emulator.apiKey, projectId: emulator.projectId }));
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main();
