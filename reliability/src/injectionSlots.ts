/**
 * Input slots for the injection corpus: a place in a call's arguments where a hostile value is put,
 * which values would be legitimate there (those payloads are skipped), and how many read commands the
 * call may send before that slot is validated (0 for almost every slot; never a write).
 */
import { type InjectionPayload, isPlainObject, withOwnKeys } from "./injectionCorpus";

/** Where in the argument list the payload goes. */
export type SlotPath = readonly (string | number)[];

/** How the payload is placed: replacing the value at the path, or merged into the object there as extra keys. */
export type SlotMode = "replace" | "extra-keys";

/** One input slot of one public method. */
export interface InputSlot {
  /** `CentralAccountService.registerAccount(input.name)` */
  readonly name: string;
  readonly mode: SlotMode;
  /** True for a value that is legitimate in this slot (the payload is then not sent here). */
  readonly legitimate: (value: unknown) => boolean;
  /** Reads the call may send before it validates this slot (default 0). */
  readonly allowedReads?: number;
  /** Error codes accepted besides `VALIDATION_FAILED` for some payloads (e.g. `FORBIDDEN` for another team's id in a filter). */
  readonly alsoAccepted?: (payload: InjectionPayload) => readonly string[];
  /** Calls the method with the payload in place. */
  call(payload: unknown): Promise<unknown>;
  /** Calls the method with the valid arguments only (proves the slot's rejections come from the payload). */
  callValid(): Promise<unknown>;
}

/** Nothing in the corpus is legitimate here (ids, team ids, enums, dates, provider ids …). */
export const never = (): boolean => false;

/** A free-text field: any non-blank string up to `max` characters is legitimate. */
export function freeText(max: number, options: { nullable?: boolean } = {}): (value: unknown) => boolean {
  return (value) =>
    (options.nullable === true && value === null) || (typeof value === "string" && value.trim().length > 0 && value.length <= max);
}

/** An integer field with bounds. */
export function integer(min: number, max: number): (value: unknown) => boolean {
  return (value) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/** A list whose items are legitimate by `item`, with `minItems`..`maxItems` entries. */
export function listOf(item: (value: unknown) => boolean, minItems = 0, maxItems = 1000): (value: unknown) => boolean {
  return (value) => Array.isArray(value) && value.length >= minItems && value.length <= maxItems && value.every(item);
}

/** Either of two legitimacy checks. */
export function either(a: (value: unknown) => boolean, b: (value: unknown) => boolean): (value: unknown) => boolean {
  return (value) => a(value) || b(value);
}

/** What an untrusted equality filter accepts as one field's value. */
export function filterValue(value: unknown): boolean {
  const scalar = (v: unknown): boolean =>
    v === null || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && v.length <= 10_000);
  return scalar(value) || (Array.isArray(value) && value.length <= 1000 && value.every(scalar));
}

/** Only objects can be merged in as extra keys: every non-object payload is "legitimate" (skipped) for an extra-keys slot. */
export const notAnObject = (value: unknown): boolean => !isPlainObject(value);

/** A deep copy of the arguments with `payload` placed at `path` (own data properties only: `__proto__` stays a key). */
export function placePayload(args: readonly unknown[], path: SlotPath, payload: unknown, mode: SlotMode): unknown[] {
  const copy = structuredClone(args) as unknown[];
  if (path.length === 0) throw new Error("slot path must name an argument");
  let container: Record<string | number, unknown> = copy as unknown as Record<number, unknown>;
  for (const step of path.slice(0, -1)) {
    const next = container[step];
    if (typeof next !== "object" || next === null) throw new Error(`slot path ${path.join(".")} does not exist in the valid arguments`);
    container = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (mode === "replace") {
    Object.defineProperty(container, last, { value: payload, enumerable: true, writable: true, configurable: true });
  } else {
    const target = container[last];
    if (!isPlainObject(target) || !isPlainObject(payload))
      throw new Error("extra-keys slots need an object at the path and an object payload");
    Object.defineProperty(container, last, { value: withOwnKeys(target, payload), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/**
 * Builds slots for one method from its valid arguments: each entry names a path, its legitimacy check,
 * and optionally a mode, allowed reads and extra accepted codes.
 */
export function slotsFor(
  method: string,
  validArgs: () => readonly unknown[],
  invoke: (...args: unknown[]) => Promise<unknown>,
  entries: readonly {
    readonly path: SlotPath;
    readonly legitimate: (value: unknown) => boolean;
    readonly mode?: SlotMode;
    readonly allowedReads?: number;
    readonly alsoAccepted?: (payload: InjectionPayload) => readonly string[];
  }[],
): InputSlot[] {
  return entries.map((entry) => {
    const mode = entry.mode ?? "replace";
    const label = `${entry.path.map(String).join(".")}${mode === "extra-keys" ? " +keys" : ""}`;
    return {
      name: `${method}(${label})`,
      mode,
      legitimate: mode === "extra-keys" ? either(notAnObject, entry.legitimate) : entry.legitimate,
      ...(entry.allowedReads === undefined ? {} : { allowedReads: entry.allowedReads }),
      ...(entry.alsoAccepted === undefined ? {} : { alsoAccepted: entry.alsoAccepted }),
      call: (payload: unknown) => invoke(...placePayload(validArgs(), entry.path, payload, mode)),
      callValid: () => invoke(...structuredClone(validArgs())),
    };
  });
}
