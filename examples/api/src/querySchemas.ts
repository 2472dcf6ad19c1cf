import { z } from "zod";

/*
 * Query-string building blocks. Fastify's parser hands a repeated parameter over as an array
 * (`?limit=1&limit=2` -> ["1", "2"]), so every parameter says whether it takes one value or many: a
 * single-valued one refuses a repeat with "must be given once", never a coercion artefact like
 * "received NaN"; a multi-valued one takes repeats and comma lists alike (`?severity=high&severity=low`,
 * `?severity=high,low`).
 */

/** The one value of a single-valued query parameter, validated by `schema`; a repeat is refused. */
export function single<S extends z.ZodType<unknown, string>>(schema: S) {
  return z
    .union([z.string(), z.array(z.string())])
    .check((ctx) => {
      if (Array.isArray(ctx.value)) {
        ctx.issues.push({
          code: "custom",
          message: `must be given once (got ${ctx.value.length} values)`,
          input: ctx.value,
          continue: false,
        });
      }
    })
    .transform((value) => (Array.isArray(value) ? (value[0] ?? "") : value))
    .pipe(schema);
}

/** An integer parameter in [min, max]: "must be an integer from 1 to 1000" for anything else. */
export function integer(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return single(
    z
      .string()
      .regex(/^-?\d{1,16}$/, message)
      .transform(Number)
      .pipe(z.number().int().min(min, message).max(max, message)),
  );
}

/** `true` or `false`. */
export const booleanParameter = single(
  z.enum(["true", "false"], { error: 'must be "true" or "false"' }).transform((text) => text === "true"),
);

/** A multi-valued parameter: repeats and comma lists, each value checked by `item`, at most `max` values. */
export function many<S extends z.ZodType<unknown, string>>(item: S, max = 100) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((part) => part.split(","))
        .map((part) => part.trim())
        .filter((part) => part !== ""),
    )
    .pipe(z.array(item).min(1, "must name at least one value").max(max, `must name at most ${max} values`));
}

/** `limit` of a keyset page: 1–`max`, default 50. */
export function limitParameter(max = 1000) {
  return integer(1, max).default(50);
}

/** `cursor` of a keyset page: the `next_cursor` of the page before. */
export const cursorParameter = single(z.string().min(1, "must not be empty").max(4096, "must be at most 4096 characters")).optional();

/** An instant: ISO-8601 with offset, or a plain `YYYY-MM-DD` (start of that UTC day). */
export const instantParameter = single(
  z
    .string()
    .transform((text) => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text))
    .pipe(z.iso.datetime({ offset: true, error: "must be an ISO-8601 date or date-time, e.g. 2024-06-01 or 2024-06-01T00:00:00Z" })),
);

/** The `:id` of a document: 24 hexadecimal characters. */
export const IdParams = z.strictObject({ id: z.string().regex(/^[0-9a-fA-F]{24}$/, "must be a 24-character hex id") });
