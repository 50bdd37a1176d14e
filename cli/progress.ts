/** Progress for long work, on stderr so stdout stays the report (and can be piped into a PR comment). */
export interface Progress {
  step(message: string): void;
}

export function stderrProgress(quiet = false): Progress {
  const started = Date.now();
  return {
    step(message) {
      if (quiet) return;
      const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
      process.stderr.write(`[${seconds}s] ${message}\n`);
    },
  };
}
