import { describe, expect, it } from 'vitest';
import { LimiterWaitError } from '../src/limiter/index.js';
import { eachItem } from '../src/llm/model-options.js';

const item = (id: string) => ({ context: { id, sourceId: id, userId: 'u', runId: 'r' }, value: id });

describe('LLM step item runner', () => {
  it('a wait on one item rejects the whole batch, even with items still queued behind it', async () => {
    const items = ['a', 'b', 'c', 'd'].map(item);
    const started: string[] = [];
    const run = eachItem('step', items, 1, async (i) => {
      started.push(i.value);
      if (i.value === 'a') throw new LimiterWaitError('openai:m', 5000, 'rate');
      return [i];
    });
    await expect(run).rejects.toBeInstanceOf(LimiterWaitError);
    // Queued items were not started after the interrupt.
    expect(started).toEqual(['a']);
  });

  it('an ordinary error fails only its record', async () => {
    const outcomes = await eachItem('step', ['a', 'b'].map(item), 2, async (i) => {
      if (i.value === 'a') throw new Error('bad input');
      return [i];
    });
    expect(outcomes).toEqual([{ ok: false, reason: 'step: bad input' }, { ok: true, items: [item('b')] }]);
  });
});
