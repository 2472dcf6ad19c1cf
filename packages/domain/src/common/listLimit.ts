import { z } from "zod";

/** A page size for list methods: an integer 1–1,000. */
export const ListLimitSchema = z.number().int().min(1).max(1000);

/** The default page size of list methods. */
export const DEFAULT_LIST_LIMIT = 100;
