export type {
  CacheBackend,
  CacheErrorEvent,
  CacheErrorHook,
  CacheHealth,
  CacheKey,
  CacheLoader,
  CacheOperation,
  CacheService,
  CacheSetOptions,
  CacheStats,
  CircuitState,
} from "./cacheService";
export { escapeCacheKeyPart, globalCacheKey, tenantCacheKey, tenantCacheTag } from "./tenantCacheKey";
export type { CacheKeyPart } from "./tenantCacheKey";
export { MAX_CACHE_KEY_LENGTH } from "./cacheArguments";
export { CircuitBreaker } from "./circuitBreaker";
export type { CircuitBreakerOptions } from "./circuitBreaker";
export { MemoryCache } from "./memoryCache";
export { NoCache } from "./noCache";
export type { MemoryCacheOptions } from "./memoryCache";
export { RedisCache, REDIS_CACHE_CLIENT_DEFAULTS } from "./redisCache";
export type { RedisCacheClient, RedisCacheLockOptions, RedisCacheOptions } from "./redisCache";
