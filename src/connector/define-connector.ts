import { z } from 'zod';
import { SluiceError } from '../errors/index.js';
import type { Source, StreamDefinition } from './types.js';

type AnyStream = StreamDefinition<any, any>;
type ParamsOf<S> = S extends StreamDefinition<any, infer P> ? P : never;
type RecordOfStream<S> = S extends StreamDefinition<infer T, any> ? T : never;

/** Each stream becomes a factory: `github.issues({ repos })` gives a typed `Source`. */
export type Connector<S extends Record<string, AnyStream>> = {
  readonly id: string;
  readonly streams: S;
} & {
  readonly [K in keyof S]: {} extends ParamsOf<S[K]>
    ? (params?: ParamsOf<S[K]>) => Source<RecordOfStream<S[K]>>
    : (params: ParamsOf<S[K]>) => Source<RecordOfStream<S[K]>>;
};

export interface ConnectorDefinition<S extends Record<string, AnyStream>> {
  id: string;
  streams: S;
}

/** A stream's params or a connector's id is invalid: found when the config loads, fixed by editing it. */
export class ConnectorParamsError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code = 'connector_params_invalid';
}

export function defineConnector<S extends Record<string, AnyStream>>(definition: ConnectorDefinition<S>): Connector<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.id)) {
    throw new ConnectorParamsError(`connector id "${definition.id}" must be lowercase letters, digits and dashes`);
  }
  const factories: Record<string, (params?: unknown) => Source<unknown>> = {};
  for (const [stream, def] of Object.entries(definition.streams)) {
    factories[stream] = (rawParams?: unknown) => {
      const params = parseParams(definition.id, stream, def, rawParams ?? {});
      return {
        connector: definition.id,
        stream,
        changeFeed: def.changeFeed,
        fullListing: def.fullListing ?? false,
        watermark: def.watermark ?? 'timestamp',
        params,
        read: (context, cursor) => def.read({ ...context, params }, cursor),
      };
    };
  }
  return { ...factories, id: definition.id, streams: definition.streams } as Connector<S>;
}

function parseParams(connector: string, stream: string, def: AnyStream, raw: unknown): unknown {
  if (!def.params) return raw;
  const result = def.params.safeParse(raw);
  if (result.success) return result.data;
  throw new ConnectorParamsError(`${connector}.${stream}: invalid params: ${z.prettifyError(result.error)}`);
}
