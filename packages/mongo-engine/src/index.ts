export { startCompatServer } from "./compatServer";
export type { CompatServer, CompatServerOptions } from "./compatServer";
export { CompatEngine, REPORTED_VERSION } from "./compatEngine";
export type { CommandOutcome, CompatEngineOptions, ConnectionInfo } from "./compatEngine";
