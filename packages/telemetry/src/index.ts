export { ATTRIBUTES, dataLayerMeter, dataLayerTracer, errorType, TELEMETRY_SCOPE, withSpan } from "./telemetry";
export { dataLayerInstruments } from "./instruments";
export type { DataLayerInstruments } from "./instruments";
export { hashTeamId } from "./teamHash";
