import { describe, expect, it } from "vitest";
import { freshRead } from "../provider/resource/fresh-read";
import { currentOperation, inOperation } from "../provider/resource/operation-scope";

describe("freshRead", () => {
  it("shares one read among callers waiting together, and gives a caller arriving mid-read the next read", async () => {
    let reads = 0;
    let release: () => void = () => undefined;
    const read = freshRead(async () => {
      const n = ++reads;
      await new Promise<void>((resolve) => (release = resolve));
      const scope = currentOperation();
      if (scope) scope.serverTime = n * 1000;
      return n;
    });
    // One caller starts a read; two more arrive while it runs: they must not get its (older) result.
    const first = inOperation({ label: "a" }, async () => [await read(), currentOperation()?.serverTime]);
    await Promise.resolve();
    const later = [inOperation({ label: "b" }, async () => [await read(), currentOperation()?.serverTime]), inOperation({ label: "c" }, async () => [await read(), currentOperation()?.serverTime])];
    release();
    expect(await first).toEqual([1, 1000]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    // The two late callers share the second read, and each sees PostHog's clock at that read in its own scope.
    expect(await Promise.all(later)).toEqual([
      [2, 2000],
      [2, 2000],
    ]);
    expect(reads).toBe(2);
  });

  it("hands a failed read's error to every caller that shared it", async () => {
    const read = freshRead(async () => {
      throw new Error("GET → 500");
    });
    await expect(Promise.all([read(), read()])).rejects.toThrow("GET → 500");
  });
});
