import { defineConfig, type Options } from "tsup";

/**
 * The one build recipe every package shares: ESM + CJS + declarations from `src/index.ts`,
 * runtime dependencies (and peers) left external by tsup's default.
 */
export function definePackageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
