import { Query } from "mingo/query";

/**
 * mingo's query class without the public wrapper, which copies the whole operator context on every
 * construction; options must come from {@link createMingoOptions}.
 */
export const MingoQuery = Object.getPrototypeOf(Query) as typeof Query;
