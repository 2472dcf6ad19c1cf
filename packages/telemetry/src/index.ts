export { ATTRIBUTES, dataLayerMeter, dataLayerTracer, errorType, TELEMETRY_SCOPE, withSpan } from "./telemetry";
export { dataLayerInstruments } from "./instruments";
export type { DataLayerInstruments } from "./instruments";
export { instrumentMethods, traceDbOperation } from "./instrumentMethods";
export type { DbOperation, InstrumentOptions } from "./instrumentMethods";
export { hashTeamId } from "./teamHash";
