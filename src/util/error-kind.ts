/**
 * Error kinds are checked by name, not `instanceof`: a config file is loaded as its own module graph,
 * so the classes its connectors and steps throw are not the runtime's copies.
 */
export function isErrorNamed<T extends Error = Error>(error: unknown, ...names: string[]): error is T {
  return error instanceof Error && names.includes(error.name);
}

/** Errors that concern the whole shard (wait, auth, outage) rather than the record being processed. */
export function interruptsShard(error: unknown): boolean {
  return error instanceof Error && (error as { interruptsShard?: unknown }).interruptsShard === true;
}
