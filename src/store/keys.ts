/**
 * Every Redis key Sluice uses is built here. Keys are hash-tagged so each Lua script touches one
 * slot on Redis Cluster: a run, its sink and its sync state share the tag `{pipeline:user}`;
 * a user's progress stream and snapshot share `{user}`.
 */
export function createKeys(prefix: string) {
  const scope = (pipelineId: string, userId: string) => `{${pipelineId}:${userId}}`;
  return {
    prefix,
    /** BullMQ's own prefix; its keys carry the tag `{prefix}`. */
    bullPrefix: `{${prefix}}`,
    run(pipelineId: string, userId: string, runId: string) {
      const base = `${prefix}:run:${scope(pipelineId, userId)}:${runId}`;
      return {
        state: base, pending: `${base}:pending`, done: `${base}:done`, pages: `${base}:pages`, failures: `${base}:failures`,
        /** Ids a full listing of one source ('s0') saw in this run (mark and sweep). */
        seen: (source: string) => `${base}:seen:${source}`,
      };
    },
    /**
     * Runs started and not yet seen ended by the reconciler: field = run ref (JSON), value = the
     * progress it last saw (`{ seq, at }`). One key: on Redis Cluster it is written on its own, never in
     * a script with a run's keys.
     */
    runningRuns: `${prefix}:runs:running`,
    /** The reconciler's leader lease: the id of the worker process that holds it. */
    reconcilerLease: `${prefix}:reconciler:leader`,
    /** The state marker: a random id created once; gone or changed means Redis lost Sluice's state. */
    epoch: `${prefix}:epoch`,
    /** Pub/sub channel on which a cancelled run's state key is announced to every worker. */
    cancelChannel: `${prefix}:cancel`,
    activeRun: (pipelineId: string, userId: string) => `${prefix}:active:${scope(pipelineId, userId)}`,
    sync: (pipelineId: string, userId: string) => `${prefix}:sync:${scope(pipelineId, userId)}`,
    /** Ids the last finished full listing of a source ('s0') held: what the next sweep compares against. */
    members: (pipelineId: string, userId: string, source: string) => `${prefix}:sync:${scope(pipelineId, userId)}:members:${source}`,
    /** A sink's state: documents (Redis sink only), content hash and document ids per source record, stats. */
    sink(pipelineId: string, userId: string) {
      const base = `${prefix}:docs:${scope(pipelineId, userId)}`;
      return { documents: base, hashes: `${base}:hashes`, docsOf: `${base}:docsOf`, stats: `${base}:stats` };
    },
    connectorState: (connector: string, userId: string, key: string) =>
      `${prefix}:connector:{${connector}:${userId}}:${key}`,
    /** One hash per limiter key, shared by every worker. */
    limiter: (limiterKey: string) => `${prefix}:limit:{${limiterKey}}`,
    limiterWaiters(limiterKey: string) {
      const base = `${prefix}:limit:{${limiterKey}}`;
      return { queue: `${base}:waiters`, expiry: `${base}:waiters:expiry` };
    },
    /** Cached LLM results, by step, model and content hash. */
    llmCache: (hash: string) => `${prefix}:llm:${hash}`,
    /** A user's schedules: one hash, field = pipeline id, value = the schedule as JSON. */
    schedules: (userId: string) => `${prefix}:schedules:{${userId}}`,
    /** Users who have at least one schedule, for listing them all. */
    scheduledUsers: `${prefix}:schedules:users`,
    progress(userId: string) {
      const base = `${prefix}:progress:{${userId}}`;
      return {
        events: `${base}:events`,
        snapshot: `${base}:snapshot`,
        /** Runs being started: pipeline id -> expiry (epoch ms), until they show in the snapshot. */
        starting: `${base}:starting`,
        /** The state marker the user's progress was written under (in the user's slot, for the publish script). */
        epoch: `${base}:epoch`,
      };
    },
  };
}

export type KeyBuilder = ReturnType<typeof createKeys>;
