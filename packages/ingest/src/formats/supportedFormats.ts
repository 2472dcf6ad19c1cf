import { ASFF } from "./asff";
import { DRHEADER } from "./drheader";
import type { FormatDefinition, FormatId } from "./formatDefinition";
import { HUMBLE } from "./humble";
import { NUCLEI } from "./nuclei";
import { OBSERVATORY } from "./observatory";
import { PROWLER_CSV, PROWLER_V2_CSV } from "./prowlerCsv";
import { PROWLER_JSON, PROWLER_V2_JSON } from "./prowlerJson";
import { PROWLER_OCSF } from "./prowlerOcsf";
import { SSLYZE } from "./sslyze";
import { TESTSSL_CSV, TESTSSL_JSON } from "./testssl";

/**
 * Every supported format, in the order detection tries them (the most specific markers first, so a Prowler
 * ASFF file is ASFF and not "something with a check id").
 */
export const SUPPORTED_FORMATS: readonly FormatDefinition[] = Object.freeze([
  HUMBLE,
  OBSERVATORY,
  SSLYZE,
  TESTSSL_JSON,
  DRHEADER,
  NUCLEI,
  ASFF,
  PROWLER_OCSF,
  PROWLER_JSON,
  PROWLER_V2_JSON,
  PROWLER_CSV,
  PROWLER_V2_CSV,
  TESTSSL_CSV,
]);

/** The format with this id, or `undefined`. */
export function formatById(id: string): FormatDefinition | undefined {
  return SUPPORTED_FORMATS.find((format) => format.id === (id as FormatId));
}
