/**
 * Test-only (not exported): where the real scanner fixtures are (`<repo>/../shared/fixtures/real-scans`, or
 * `$CSPM_FIXTURES_DIR/real-scans`), and an ingestion helper that collects every event of one file.
 */
import { realScanFixture } from "@cspm/testkit";
import type { IngestDocument, RecordRejection } from "../formats/formatDefinition";
import { type Ingestion, type IngestOptions, openIngestion } from "../ingestRecords";
import { fileSource } from "../read/byteSource";

/** The absolute path of a fixture under `real-scans/` (`prowler/prowler-5-aws.ocsf.json`). Throws when it is missing. */
export const realScan = realScanFixture;

/** Every event of one file: its documents, its rejections and the ingestion (format, counts). */
export async function ingestFile(
  path: string,
  options: IngestOptions = {},
): Promise<{ ingestion: Ingestion; documents: IngestDocument[]; rejections: RecordRejection[] }> {
  const ingestion = await openIngestion(await fileSource(path), options);
  const documents: IngestDocument[] = [];
  const rejections: RecordRejection[] = [];
  for await (const event of ingestion.events) {
    if (event.kind === "rejection") rejections.push(event.rejection);
    else documents.push({ collection: event.collection, document: event.document } as IngestDocument);
  }
  return { ingestion, documents, rejections };
}

/** The explicit account each anonymised Prowler 5 fixture needs (in its provider's format). */
export const FIXTURE_ACCOUNTS = {
  aws: "123456789012",
  azure: "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b",
  gcp: "prowler-demo-project",
  kubernetes: "demo-cluster",
} as const;
