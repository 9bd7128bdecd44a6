/** Server-sent events wire format. Payloads are single-line JSON, so one `data:` line each. */
const encoder = new TextEncoder();

export function sseMessage(event: string, data: string, id?: string | null): Uint8Array {
  return encoder.encode(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
}

/** Comment lines keep proxies and load balancers from closing an idle stream; clients ignore them. */
export const SSE_PING = encoder.encode(': ping\n\n');

/** How long a browser's EventSource waits before reconnecting after the stream ends. */
export const SSE_RETRY = encoder.encode('retry: 1000\n\n');
