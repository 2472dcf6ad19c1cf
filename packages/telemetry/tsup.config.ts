import { definePackageConfig } from "../../scripts/tsupConfig";

export default definePackageConfig();
