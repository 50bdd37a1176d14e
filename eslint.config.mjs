// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * ESLint's and typescript-eslint's recommended rules over everything the project compiles, run by `npm test`
 * (`npm run lint`). A disable comment that no longer silences anything is an error, so none outlives its reason.
 */
export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".tools/**", ".pulumi-work/**", "coverage/**"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a binding kept on purpose (a field destructured away, a parameter an interface requires).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Loading a module by path at run time is what these do: the thin provider is serialized by value and must
    // require the runtime inside its own body, the engine's gRPC modules load lazily from @pulumi/pulumi's install,
    // the CLI runs the user's program, and the engine test loads a provider from the build by absolute path.
    files: ["provider/runtime/**/*.ts", "cli/program-loader.ts", "test/engine.e2e.test.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly", console: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
