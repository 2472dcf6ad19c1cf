/** The services' source of "now"; `createServices` defaults it to `() => new Date()`, tests pass a fixed one. */
export type Clock = () => Date;
