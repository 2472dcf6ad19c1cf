// The public surface of the example API: build the app on your own container, seed a demo database.
export { API_ROUTES, buildApp, DEFAULT_BODY_LIMIT, DEFAULT_IMPORT_BODY_LIMIT } from "./buildApp";
export type { BuildAppOptions } from "./buildApp";
export { TEAM_HEADER, teamIdFromHeader } from "./teamIdFromHeader";
export type { ResolveTeamId } from "./teamIdFromHeader";
export { fastifyErrorToCspm } from "./fastifyErrorToCspm";
export { demoTeamId, isDemoDatabaseEmpty, seedDemoData } from "./seedDemoData";
export type { DemoSeedOptions, DemoSeedResult, SeededAccount, SeededTeam } from "./seedDemoData";
export type { RouteContext } from "./routeContext";
