import { SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

// The API alone records nothing: spans go somewhere only once the app registers an OpenTelemetry
// SDK. The tracer is a proxy, so an SDK registered after this module loads is still used.
const tracer = trace.getTracer('sluice');

/**
 * Runs `fn` inside a span named `name`; a throw is rethrown and marks the span as an error unless
 * `isError` says it is not one (a shard put back to wait for budget).
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>, isError: (error: unknown) => boolean = () => true): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (error) {
      if (!isError(error)) throw error;
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
