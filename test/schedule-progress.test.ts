import { afterEach, describe, expect, it } from 'vitest';
import { formatSyncTimes } from '../src/client/format.js';
import type { ProgressBody } from '../src/server/index.js';
import { startTestServer, type TestServer } from './support/progress-server.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe("schedules in a user's progress", () => {
  it("the snapshot carries each run's schedule and its next run time", async () => {
    t = await startTestServer('schedule');
    await t.publish('pia', 2);
    await t.sluice.schedules.upsert({ pipelineId: 'notes', userId: 'pia', every: '6h' });
    const response = await fetch(`${t.url}/v1/users/pia/progress`, { headers: { authorization: `Bearer ${t.token('pia')}` } });
    const body = (await response.json()) as ProgressBody;
    expect(body.runs[0]?.schedule).toMatchObject({ every: 6 * 3600_000, status: 'active' });
    expect(Date.parse(body.runs[0]!.schedule!.nextRunAt!)).toBeGreaterThan(0);
    await t.sluice.schedules.pause({ pipelineId: 'notes', userId: 'pia', reason: 'credentials revoked' });
    const paused = (await (await fetch(`${t.url}/v1/users/pia/progress`, { headers: { authorization: `Bearer ${t.token('pia')}` } })).json()) as ProgressBody;
    expect(paused.runs[0]?.schedule).toEqual({ every: 6 * 3600_000, status: 'paused', reason: 'credentials revoked' });
  });

  it('reads as "last synced 5 min ago · next sync in 3 h"', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(formatSyncTimes({ lastSyncedAt: '2026-01-01T11:55:00Z', nextRunAt: '2026-01-01T15:00:00Z' }, now)).toBe('last synced 5 min ago · next sync in 3 h');
    expect(formatSyncTimes({ paused: 'credentials revoked' }, now)).toBe('sync paused: credentials revoked');
    expect(formatSyncTimes({}, now)).toBeUndefined();
  });
});
