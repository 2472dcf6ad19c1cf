import { definePackageConfig } from "../../scripts/tsupConfig";

export default definePackageConfig({ entry: ["src/index.ts", "src/bin.ts"] });
