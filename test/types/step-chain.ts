/**
 * Type tests for pipeline steps. This file is never run: `npm run typecheck` (part of `npm test`)
 * compiles it. Each `@ts-expect-error` marks a line that must NOT compile; if such a line ever starts
 * compiling, the directive itself becomes an error and the typecheck fails.
 */
import { definePipeline, perItemStep, type Chain, type Pipeline, type RecordContext, type RecordsOf, type Sink, type Step } from 'sluice';
import { files, type FileRecord } from 'sluice/connectors/files';
import { synthetic, type SyntheticRecord } from '../support/synthetic.js';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

const numbers = synthetic.records({ count: 3, pageSize: 3 });
const folder = files.files({ root: '.' });

declare const textSink: Sink<{ text: string }>;
declare const upperStep: Step<{ text: string }, string>;
declare const needsTextAndN: Step<{ text: string; n: number }, string>;

// ---------------------------------------------------------------------------------------------
// Must compile: the source's record type flows through every step.
// ---------------------------------------------------------------------------------------------

type _sourceRecord = Expect<Equal<RecordsOf<typeof numbers>, SyntheticRecord>>;
type _twoSources = Expect<Equal<RecordsOf<readonly [typeof numbers, typeof folder]>, SyntheticRecord | FileRecord>>;

export const flows = definePipeline({
  id: 'flows',
  source: numbers,
  steps: (records) => {
    type _in = Expect<Equal<typeof records, Chain<SyntheticRecord>>>;
    return records
      .map((r, ctx) => {
        type _ctx = Expect<Equal<typeof ctx, RecordContext>>;
        return { text: r.text, n: r.n, id: ctx.id };
      })
      .filter((doc) => doc.n % 2 === 0)
      .flatMap((doc) => [doc.text, `${doc.text}!`])
      .map(async (text) => ({ text, length: text.length }));
  },
});
type _flowsOut = Expect<Equal<typeof flows, Pipeline<{ text: string; length: number }>>>;

// Without steps, documents are the source records.
export const identity = definePipeline({ id: 'identity', source: numbers });
type _identityOut = Expect<Equal<typeof identity, Pipeline<SyntheticRecord>>>;

// Two sources: steps see the union and must narrow it.
export const mixed = definePipeline({
  id: 'mixed',
  source: [numbers, folder],
  steps: (records) => {
    type _in = Expect<Equal<typeof records, Chain<SyntheticRecord | FileRecord>>>;
    return records.map((r) => ('path' in r ? { text: r.text, from: r.path } : { text: r.text, from: `#${r.n}` }));
  },
});
type _mixedOut = Expect<Equal<typeof mixed, Pipeline<{ text: string; from: string }>>>;

// A step whose input is the chain's value type, or wider, can be piped.
export const piped = definePipeline({
  id: 'piped',
  source: numbers,
  steps: (records) => records.pipe(upperStep).pipe(perItemStep<string, number>('length', (item) => [{ ...item, value: item.value.length }])),
});
type _pipedOut = Expect<Equal<typeof piped, Pipeline<number>>>;

// A sink of the chain's output type, or of a wider type, is accepted.
export const sunk = definePipeline({ id: 'sunk', source: numbers, steps: (records) => records.map((r) => ({ text: r.text })), sink: textSink });
export const sunkWider = definePipeline({ id: 'sunk-wider', source: numbers, sink: textSink });

// ---------------------------------------------------------------------------------------------
// Must NOT compile.
// ---------------------------------------------------------------------------------------------

// A property the source record does not have.
definePipeline({
  id: 'no-such-property',
  source: numbers,
  steps: (records) =>
    records.map((r) =>
      // @ts-expect-error `title` is not a property of SyntheticRecord
      r.title,
    ),
});

// A property that an earlier map dropped.
definePipeline({
  id: 'dropped-property',
  source: numbers,
  steps: (records) =>
    records
      .map((r) => ({ text: r.text }))
      .filter((doc) =>
        // @ts-expect-error `n` was dropped by the previous map
        doc.n > 0,
      ),
});

// A step whose input type is unrelated to the chain's value type.
definePipeline({
  id: 'step-mismatch',
  source: numbers,
  steps: (records) =>
    records
      .map((r) => r.n)
      // @ts-expect-error upperStep takes { text: string }, the chain carries numbers
      .pipe(upperStep),
});

// A step that needs more than the chain gives (`n` was dropped): inputs are checked contravariantly.
definePipeline({
  id: 'step-needs-more',
  source: numbers,
  steps: (records) =>
    records
      .map((r) => ({ text: r.text }))
      // @ts-expect-error needsTextAndN also reads `n`
      .pipe(needsTextAndN),
});

// Records of one source of a union piped into a step for the other.
definePipeline({
  id: 'union-step',
  source: [numbers, folder],
  // @ts-expect-error the FileRecord half of the union has no `n`
  steps: (records) => records.pipe(needsTextAndN),
});

// A sink of `{ text: string }` fed numbers.
definePipeline({
  id: 'sink-mismatch',
  source: numbers,
  // @ts-expect-error the chain produces numbers, the sink takes { text: string }
  steps: (records) => records.map((r) => r.n),
  sink: textSink,
});

// Documents without the field the sink needs.
definePipeline({
  id: 'sink-missing-field',
  source: numbers,
  // @ts-expect-error numbers have no `text`
  steps: (records) => records.map((r) => ({ n: r.n })),
  sink: textSink,
});

// `steps` must return a Chain.
definePipeline({
  id: 'steps-returns-number',
  source: numbers,
  // @ts-expect-error a number is not a Chain
  steps: (records) => records.steps.length,
});

definePipeline({
  id: 'steps-returns-array',
  source: numbers,
  // @ts-expect-error an array of values is not a Chain
  steps: (records) => [records],
});

definePipeline({
  id: 'steps-returns-nothing',
  source: numbers,
  // @ts-expect-error forgot to return the chain
  steps: (records) => {
    records.map((r) => r.text);
  },
});
