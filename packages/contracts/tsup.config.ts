import { definePackageConfig } from "../../scripts/tsupConfig";

// A second entry builds the `cspm-contracts` bin (dist/cli.js keeps its shebang).
export default definePackageConfig({ entry: ["src/index.ts", "src/cli.ts"] });
