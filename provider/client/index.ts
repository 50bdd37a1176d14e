export { PostHogClient, type PostHogClientOptions } from "./client";
export * from "./errors";
export type { ClientEvent } from "./transport";
export type * from "./schemas";

