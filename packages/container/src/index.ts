export { createServiceContainer, ServiceContainer, RequestScope } from "./serviceContainer";
export type { CacheKind, ContainerHealth, InitializeOptions, RequestContext, ServiceContainerOverrides } from "./serviceContainer";
export {
  cacheNoticeOf,
  CONFIG_ENV_VARIABLES,
  jwtOptionsOf,
  loadConfigFromEnv,
  parseServiceConfig,
  redactServiceConfig,
  ServiceConfigSchema,
} from "./serviceConfig";
export type { ServiceConfig, ServiceConfigInput } from "./serviceConfig";
export { TOKENS } from "./tokens";
export type { ServiceToken } from "./tokens";
export { registerDomainServices } from "./serviceRegistrations";
export type { ServiceTokenTypes } from "./serviceRegistrations";
