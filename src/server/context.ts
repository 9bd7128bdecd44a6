import type { RunStore } from '../runtime/run-store.js';
import type { Sluice } from '../runtime/sluice.js';
import type { ProgressHub } from './hub.js';
import type { ResolvedServerOptions } from './options.js';
import type { StreamRegistry } from './stream-registry.js';

/** What the routes share: one per server. */
export interface ServerContext {
  sluice: Sluice;
  runStore: RunStore;
  hub: ProgressHub;
  streams: StreamRegistry;
  options: ResolvedServerOptions;
}

/** Hono variables: the user an authorized request is for. */
export interface ServerEnv {
  Variables: { userId: string };
}
