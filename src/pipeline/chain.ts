import { perItemStep, type RecordContext, type Step } from './step.js';

type Awaitable<T> = T | Promise<T>;

/**
 * The typed sequence of steps between a source and a sink. Each call returns a new chain whose
 * value type is the step's output, so a step that does not accept the previous output is a type error.
 */
export class Chain<T> {
  /** @internal */
  constructor(readonly steps: readonly Step<unknown, unknown>[] = []) {}

  map<O>(transform: (value: T, record: RecordContext) => Awaitable<O>, name = 'map'): Chain<O> {
    return this.pipe(
      perItemStep<T, O>(name, async (item) => [{ context: item.context, value: await transform(item.value, item.context) }]),
    );
  }

  filter(keep: (value: T, record: RecordContext) => Awaitable<boolean>, name = 'filter'): Chain<T> {
    return this.pipe(perItemStep<T, T>(name, async (item) => ((await keep(item.value, item.context)) ? [item] : [])));
  }

  /** One value in, many documents out; documents after the first get ids `<id>#<n>`. */
  flatMap<O>(transform: (value: T, record: RecordContext) => Awaitable<readonly O[]>, name = 'flatMap'): Chain<O> {
    return this.pipe(
      perItemStep<T, O>(name, async (item) => {
        const values = await transform(item.value, item.context);
        return values.map((value, n) => ({
          context: { ...item.context, id: n === 0 ? item.context.id : `${item.context.id}#${n}` },
          value,
        }));
      }),
    );
  }

  pipe<O>(step: Step<T, O>): Chain<O> {
    return new Chain<O>([...this.steps, step as Step<unknown, unknown>]);
  }
}
