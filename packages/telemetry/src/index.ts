export { ATTRIBUTES, dataLayerMeter, dataLayerTracer, errorType, settle, TELEMETRY_SCOPE, tracingEnabled, withSpan } from "./telemetry";
export { dataLayerInstruments, metricsEnabled } from "./instruments";
export type { DataLayerInstruments } from "./instruments";
export { instrumentMethods, traceDbOperation } from "./instrumentMethods";
export type { DbOperation, InstrumentOptions } from "./instrumentMethods";
export { hashTeamId } from "./teamHash";
