import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
const packagesDir = fileURLToPath(new URL("../", import.meta.url));
const alias = readdirSync(packagesDir).map((name) => ({ find: new RegExp(`^@cspm/${name}$`), replacement: `${packagesDir}${name}/src/index.ts` }));
export default defineConfig({ resolve: { alias }, test: { root: fileURLToPath(new URL(".", import.meta.url)), include: ["src/**/*.test.ts"], testTimeout: 30000, hookTimeout: 60000, globalSetup: process.env.LOCAL_GS ? [process.env.LOCAL_GS] : [] } });
