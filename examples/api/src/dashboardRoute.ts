import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { NotFoundError } from "@cspm/errors";
import { build } from "esbuild";
import type { FastifyInstance } from "fastify";

/** The page sources (`dashboard/` beside `src/`). */
const SOURCES = fileURLToPath(new URL("../dashboard/", import.meta.url));

/** Where the page's assets are served. */
export const DASHBOARD_ASSET_PATH = "/dashboard/assets/";

/**
 * What the page may load: only this origin's scripts, styles and API (no CDN, no inline script), no
 * framing. Chart.js draws on a canvas and styles it through the CSSOM, which `style-src 'self'` allows.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** One built file of the page, served from memory. */
export interface DashboardAsset {
  readonly body: Buffer;
  /** The body gzipped (once, on first use), for clients that accept gzip. */
  readonly gzip: () => Buffer;
  readonly contentType: string;
}

/** The page: its HTML (naming the hashed assets) and the assets by file name. */
export interface DashboardBundle {
  readonly html: string;
  readonly assets: ReadonlyMap<string, DashboardAsset>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
};

function asset(body: Buffer, contentType: string): DashboardAsset {
  let gzipped: Buffer | undefined;
  return { body, contentType, gzip: () => (gzipped ??= gzipSync(body)) };
}

const ACCEPTS_GZIP = /\bgzip\b/;

let pending: Promise<DashboardBundle> | undefined;

/**
 * Bundles the page once per process with esbuild, in memory (about a tenth of a second): `dashboard/main.ts`
 * with Chart.js and the CSS, minified, file names carrying a content hash; the HTML template gets their
 * URLs. Later calls share the result; a failed build is retried on the next call.
 */
export function bundleDashboard(): Promise<DashboardBundle> {
  pending ??= buildDashboard().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function buildDashboard(): Promise<DashboardBundle> {
  const result = await build({
    absWorkingDir: SOURCES,
    entryPoints: { dashboard: join(SOURCES, "main.ts") },
    tsconfig: join(SOURCES, "tsconfig.json"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    sourcemap: "linked",
    entryNames: "[name]-[hash]",
    outdir: join(SOURCES, "out"), // nothing is written: write:false keeps every file in memory
    write: false,
    logLevel: "silent",
  });
  const assets = new Map<string, DashboardAsset>();
  const urls = new Map<string, string>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    assets.set(name, asset(Buffer.from(file.contents), CONTENT_TYPES[extname(name)] ?? "application/octet-stream"));
    if (!name.endsWith(".map")) urls.set(extname(name), `${DASHBOARD_ASSET_PATH}${name}`);
  }
  const icon = await readFile(join(SOURCES, "favicon.svg"));
  const iconName = `favicon-${createHash("sha256").update(icon).digest("hex").slice(0, 8)}.svg`;
  assets.set(iconName, asset(icon, CONTENT_TYPES[".svg"] as string));

  const script = urls.get(".js");
  const style = urls.get(".css");
  if (script === undefined || style === undefined) throw new Error("the dashboard bundle lacks its script or stylesheet");
  const template = await readFile(join(SOURCES, "index.html"), "utf8");
  const html = template
    .replace("%DASHBOARD_SCRIPT%", script)
    .replace("%DASHBOARD_STYLE%", style)
    .replace("%DASHBOARD_ICON%", `${DASHBOARD_ASSET_PATH}${iconName}`);
  return { html, assets };
}

/**
 * `GET /` (the dashboard page, public: it signs in with an API key of its own) and
 * `GET /dashboard/assets/*` (its script, stylesheet, source map and icon, cached for a year: the names
 * carry content hashes; gzipped when the client accepts it). The page is bundled when the app gets ready (`bundleDashboard`), so a broken
 * page source fails the start, not the first visitor. Unknown asset names are 404 `NOT_FOUND`.
 */
export function registerDashboardRoutes(app: FastifyInstance): void {
  void app.register(async function dashboardRoutes(scope) {
    const { html, assets } = await bundleDashboard();
    const page = { tags: ["dashboard"], security: [] };
    scope.get(
      "/",
      { config: { public: true }, schema: { ...page, summary: "The dashboard page (HTML); it signs in with an API key." } },
      async (_request, reply) =>
        reply
          .header("content-security-policy", DASHBOARD_CSP)
          .header("x-content-type-options", "nosniff")
          .header("referrer-policy", "no-referrer")
          .header("cache-control", "no-cache")
          .type("text/html; charset=utf-8")
          .send(html),
    );
    const assetSchema = { ...page, summary: "The dashboard's script, stylesheet, source maps and icon (content-hashed names)." };
    scope.get<{ Params: { "*": string } }>(
      `${DASHBOARD_ASSET_PATH}*`,
      { config: { public: true }, schema: assetSchema },
      async (request, reply) => {
        const name = request.params["*"];
        const found = assets.get(name);
        if (found === undefined) throw new NotFoundError(`No dashboard asset "${name.slice(0, 200)}".`);
        const gzip = ACCEPTS_GZIP.test(String(request.headers["accept-encoding"] ?? ""));
        if (gzip) void reply.header("content-encoding", "gzip");
        return reply
          .header("vary", "accept-encoding")
          .header("x-content-type-options", "nosniff")
          .header("cache-control", "public, max-age=31536000, immutable")
          .type(found.contentType)
          .send(gzip ? found.gzip() : found.body);
      },
    );
  });
}
