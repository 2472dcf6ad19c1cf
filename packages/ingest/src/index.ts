// The public surface of @cspm/ingest: real scanner output -> validated documents, the import with the finding
// lifecycle, Prowler's compliance catalogues, and the CLI.

// formats
export { INGEST_TOOLS, INGEST_COLLECTIONS, perRecordMapper } from "./formats/formatDefinition";
export type {
  IngestTool,
  IngestCollection,
  IngestDocument,
  FormatId,
  FormatDefinition,
  FormatHead,
  RecordLayout,
  RecordMapper,
  RecordRejection,
  RawRecord,
  MapOutput,
  MapperOptions,
  SslScanInput,
  HeaderScanInput,
} from "./formats/formatDefinition";
export { SUPPORTED_FORMATS, formatById } from "./formats/supportedFormats";
export { PROWLER_OCSF, mapOcsfFinding } from "./formats/prowlerOcsf";
export { PROWLER_JSON, PROWLER_V2_JSON, prowlerV2Control } from "./formats/prowlerJson";
export { PROWLER_CSV, PROWLER_V2_CSV } from "./formats/prowlerCsv";
export { ASFF, asffSource } from "./formats/asff";
export { NUCLEI, mapNucleiMatch } from "./formats/nuclei";
export { SSLYZE, mapSslyzeServer } from "./formats/sslyze";
export { TESTSSL_CSV, TESTSSL_JSON } from "./formats/testssl";
export { HUMBLE, mapHumbleReport } from "./formats/humble";
export { DRHEADER } from "./formats/drheader";
export { OBSERVATORY, mapObservatory } from "./formats/observatory";

// normalization
export {
  normalizeFinding,
  severityOf,
  statusOf,
  providerOf,
  isPlaceholder,
  complianceOf,
  complianceMapOf,
  tagsOf,
} from "./normalize/findingNormalizer";
export type { RawFinding, FindingContext, FindingOutcome } from "./normalize/findingNormalizer";

// reading
export { fileSource, streamSource, bufferSource, peek } from "./read/byteSource";
export type { ByteSource, PeekedSource } from "./read/byteSource";
export { detectFormat, DETECTION_BYTES } from "./read/detectFormat";
export type { Detection, Container } from "./read/detectFormat";
export { openIngestion, acceptedRecords } from "./ingestRecords";
export type { Ingestion, IngestEvent, IngestOptions, IngestStats } from "./ingestRecords";
export { INPUT_ERROR_REASONS, inputError, inputErrorReason } from "./ingestErrors";
export type { InputErrorReason } from "./ingestErrors";

// import
export { importScan, importRepositories, withMuteRules } from "./importScan";
export type { ImportOptions, ImportSummary, ImportProgress, ImportRepositories, RepositoryResolver } from "./importScan";

// compliance catalogues
export { loadComplianceCatalogue, complianceRepositories } from "./compliance/loadComplianceCatalogue";
export type { CatalogueLoadResult, ComplianceRepositories } from "./compliance/loadComplianceCatalogue";

// CLI
export { runCli, EXIT_CODES } from "./cli/runCli";
export type { CliIo, InspectReport } from "./cli/runCli";
