import { describe, expect, it } from 'vitest';
import { LimiterWaitError } from '../src/limiter/index.js';
import { AskGate } from '../src/limiter/gate.js';
import { limiterHarness } from './support/limiter.js';

const { limiterFor, redis } = limiterHarness('limiter-gate');

describe('limiter: callers of one process ask Redis one at a time', () => {
  it('a refusal tells the other callers here, so many callers over a small budget cost a script call or two', async () => {
    const { limiter } = limiterFor({ rpm: 60 }); // one request a second
    await limiter.settle('llm:m', 0, { kind: 'ok' }); // an answer was read: slots may be reserved ahead
    const connection = redis();
    let scripts = 0;
    const evalsha = connection.evalsha.bind(connection);
    connection.evalsha = ((...args: Parameters<typeof evalsha>) => {
      scripts += 1;
      return evalsha(...args);
    }) as typeof connection.evalsha;
    try {
      // Ten callers that may wait half a second: one is granted, the next is refused (about a second
      // to wait), and the eight others learn it here.
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => limiter.acquire('llm:m', 0, 500)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(refused).toHaveLength(9);
      for (const r of refused) expect(r.reason).toBeInstanceOf(LimiterWaitError);
      expect(scripts).toBeLessThanOrEqual(3);
    } finally {
      connection.evalsha = evalsha;
    }
  });

  it('a gate is idle (and may be dropped) only with nobody asking, nobody queued and no refusal running', async () => {
    const gate = new AskGate();
    expect(gate.idle).toBe(true);
    const turn = await gate.enter(1, Date.now() + 1000);
    expect(gate.idle).toBe(false);
    if (!('release' in turn)) throw new Error('expected a turn');
    turn.release(60_000, 'rate');
    expect(gate.idle).toBe(false);
    turn.release(); // a second release changes nothing
    const other = new AskGate();
    const asked = await other.enter(1, Date.now() + 1000);
    if (!('release' in asked)) throw new Error('expected a turn');
    asked.release();
    expect(other.idle).toBe(true);
  });
});
