import type { MigrationLogger } from "./migrationContext";

/** The default logger: one plain line per message on stdout (info) or stderr (warn, error); fields are not printed. */
export const consoleMigrationLogger: MigrationLogger = Object.freeze({
  info: (message: string) => console.log(message),
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
});

/** A logger that drops everything (for hosts that report through `UpReport` only). */
export const silentMigrationLogger: MigrationLogger = Object.freeze({
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
