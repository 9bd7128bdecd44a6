import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startMockLlm, type MockLlm } from '../src/mock-llm/index.js';

let mock: MockLlm;
let client: OpenAI;

beforeEach(async () => {
  mock = await startMockLlm();
  client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
});
afterEach(() => mock.close());

const Ticket = z.object({
  title: z.string(),
  priority: z.enum(['low', 'high']),
  score: z.number().min(0).max(1),
  count: z.number().int().positive(),
  tags: z.array(z.string()),
  done: z.boolean(),
  owner: z.object({ name: z.string(), email: z.string().nullable() }),
  due: z.string().nullable(),
});

const prompt = 'Ticket: login page broken after deploy. Reply in JSON.';
const ask = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], ...extra });
const ticketFormat = { response_format: zodResponseFormat(Ticket, 'ticket') };

describe('mock LLM JSON mode', () => {
  it('answers a json_schema request with JSON that validates against the schema, strings from the prompt', async () => {
    const completion = await client.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: prompt }],
      ...ticketFormat,
    });
    const parsed = completion.choices[0]?.message.parsed;

    expect(Ticket.parse(parsed)).toEqual(parsed);
    expect(parsed).toMatchObject({ title: 'Ticket', priority: 'low', tags: ['login'], done: true, count: 1 });
    expect(parsed?.score).toBeGreaterThanOrEqual(0);
    expect(parsed?.score).toBeLessThanOrEqual(1);
    const again = await ask(ticketFormat);
    expect(again.choices[0]?.message.content).toBe(completion.choices[0]?.message.content);
  });

  it('follows $ref, anyOf and const in a hand-written schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        kind: { const: 'tree' },
        root: { $ref: '#/$defs/node' },
        size: { anyOf: [{ type: 'null' }, { type: 'integer', exclusiveMinimum: 10 }] },
      },
      required: ['kind', 'root', 'size'],
      additionalProperties: false,
      $defs: {
        node: {
          type: 'object',
          properties: { label: { type: 'string', minLength: 12 }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
          required: ['label', 'children'],
          additionalProperties: false,
        },
      },
    };
    interface Node {
      label: string;
      children: Node[];
    }
    const NodeSchema: z.ZodType<Node> = z.lazy(() => z.object({ label: z.string().min(12), children: z.array(NodeSchema) }).strict());
    const Tree = z.object({ kind: z.literal('tree'), root: NodeSchema, size: z.number().int().gt(10).nullable() }).strict();

    const completion = await ask({ response_format: { type: 'json_schema', json_schema: { name: 'tree', schema, strict: true } } });
    const value = Tree.parse(JSON.parse(completion.choices[0]?.message.content ?? ''));
    expect(value.size).toBe(11);
  });

  it('answers json_object mode with a JSON object, and requires the word "json" in the messages like OpenAI', async () => {
    const completion = await ask({ response_format: { type: 'json_object' } });
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ summary: 'Summary: Ticket login page broken after deploy Reply in JSON' });

    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'no format word here' }], response_format: { type: 'json_object' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'messages' });
  });

  it('breaks the next invalidJson JSON answers: first cut short, then missing a required field; text answers do not count', async () => {
    mock.setOptions({ invalidJson: 2 });

    const text = await ask();
    expect(text.choices[0]?.message.content).toMatch(/^Summary: /);

    const cutShort = (await ask(ticketFormat)).choices[0]?.message.content ?? '';
    expect(() => JSON.parse(cutShort)).toThrow(SyntaxError);

    const missingField = JSON.parse((await ask(ticketFormat)).choices[0]?.message.content ?? '') as unknown;
    const result = Ticket.safeParse(missingField);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['title']);

    const healthy = (await ask(ticketFormat)).choices[0]?.message.content ?? '';
    expect(Ticket.safeParse(JSON.parse(healthy)).success).toBe(true);
    expect(mock.setOptions({})).toMatchObject({ invalidJson: 0 });
  });
});
