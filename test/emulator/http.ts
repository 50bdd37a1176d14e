import type { IncomingMessage, ServerResponse } from "node:http";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === "object" ? JSON.stringify(body) : String(body));
  }
}

/** DRF's error shape (validation, auth, 404, 429). */
export const drf = (status: number, type: string, code: string, detail: string, attr: string | null = null) => new HttpError(status, { type, code, detail, attr });
/** The `{"message"}` shape of the source views' early returns. */
export const message = (text: string) => new HttpError(400, { message: text });
export const notFound = () => drf(404, "invalid_request", "not_found", "Not found.");

export async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

export function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}
