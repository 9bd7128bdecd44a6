import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { listenHttp } from '../util/listen-http.js';

export interface ListeningServer {
  /** Where the server answers, e.g. http://127.0.0.1:8787. */
  url: string;
  /** Stops accepting, ends every event stream, and resolves once every connection is closed. */
  close(): Promise<void>;
}

/** Grace for in-flight plain requests at shutdown before their connections are cut. */
const CLOSE_GRACE_MS = 5000;

/**
 * Edges against slow or piled-up clients: a client has this long to send its headers, and a plain
 * request this long to send its body (an event stream's response may last for hours: only the
 * request side is timed); past the connection cap new sockets are refused.
 */
export const SERVER_LIMITS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 10_000 };

/** Serves `app` on Node's http server; `endStreams` runs on close, after we stop accepting. */
export async function listen(app: Hono<any>, port: number, host: string, endStreams: () => Promise<void>): Promise<ListeningServer> {
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    serverOptions: {
      headersTimeout: SERVER_LIMITS.headersTimeoutMs,
      requestTimeout: SERVER_LIMITS.requestTimeoutMs,
      // How often Node looks for sockets past those timeouts (default 30 s).
      connectionsCheckingInterval: 1000,
    },
  }) as Server;
  server.maxConnections = SERVER_LIMITS.maxConnections;
  const connections = trackConnections(server);
  const url = await listenHttp(server, port, host);
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await endStreams();
        // Ended streams leave quiet keep-alive connections behind: close them, and cut any
        // request still running after the grace period.
        connections.drain();
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        await closed;
        clearTimeout(cut);
      })()),
  };
}

/**
 * Sockets and their in-flight requests, so shutdown closes quiet connections at once instead of
 * waiting for clients to drop them. Node's closeIdleConnections misses sockets that never sent a
 * request and ones whose event stream the client aborted.
 */
function trackConnections(server: Server) {
  const inFlight = new Map<Socket, number>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    if (!inFlight.has(socket)) return;
    inFlight.set(socket, inFlight.get(socket)! + 1);
    response.once('close', () => {
      if (!inFlight.has(socket)) return;
      const left = inFlight.get(socket)! - 1;
      inFlight.set(socket, left);
      if (draining && left === 0) socket.end();
    });
  });
  return {
    /** Ends every quiet connection now, and each busy one once its last response is written. */
    drain(): void {
      draining = true;
      for (const [socket, count] of inFlight) if (count === 0) socket.end();
    },
  };
}
