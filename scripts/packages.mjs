// Creates a package skeleton: node scripts/packages.mjs <name> "<description>"
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
const [name, description = ""] = process.argv.slice(2);
if (!name) throw new Error("usage: node scripts/packages.mjs <name> <description>");
const dir = `packages/${name}`;
if (existsSync(dir)) throw new Error(`${dir} exists`);
mkdirSync(`${dir}/src`, { recursive: true });
const pkg = {
  name: `@cspm/${name}`,
  version: "0.0.0",
  description,
  license: "MIT",
  type: "module",
  sideEffects: false,
  engines: { node: ">=20.11" },
  main: "./dist/index.cjs",
  module: "./dist/index.js",
  types: "./dist/index.d.ts",
  exports: {
    ".": {
      import: { types: "./dist/index.d.ts", default: "./dist/index.js" },
      require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
    },
    "./package.json": "./package.json",
  },
  files: ["dist"],
  scripts: { build: "tsup", lint: "publint --strict" },
  publishConfig: { access: "public" },
  dependencies: {},
  devDependencies: {},
};
writeFileSync(`${dir}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  `${dir}/tsup.config.ts`,
  `import { definePackageConfig } from "../../scripts/tsupConfig";\n\nexport default definePackageConfig();\n`,
);
writeFileSync(`${dir}/tsconfig.json`, `${JSON.stringify({ extends: "../../tsconfig.base.json", include: ["src"] }, null, 2)}\n`);
