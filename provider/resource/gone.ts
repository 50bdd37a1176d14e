import { NotFoundError } from "../client";

/** A read whose 404 means "the object is gone" (refresh then drops it), not an error. */
export async function unlessGone<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
