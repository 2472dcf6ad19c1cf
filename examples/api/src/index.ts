// The public surface of the example API: build the app on your own container, seed a demo database.
export { API_ROUTES, buildApp, DEFAULT_BODY_LIMIT, DEFAULT_IMPORT_BODY_LIMIT, DEFAULT_RATE_LIMIT } from "./buildApp";
export type { BuildAppOptions } from "./buildApp";
export { DEVELOPMENT_HEADER_WARNING, developmentActor, TEAM_HEADER } from "./developmentActor";

export { fastifyErrorToCspm } from "./fastifyErrorToCspm";
export { applyDemoSeed } from "./demoSeed";
export type { ApplyDemoSeedOptions, DemoSeedOutcome } from "./demoSeed";
export { demoTeamId, isDemoDatabaseEmpty, seedDemoData, writeDemoCredentials } from "./seedDemoData";
export type { DemoSeedOptions, DemoSeedResult, SeededAccount, SeededTeam } from "./seedDemoData";
export type { RouteContext } from "./routeContext";
