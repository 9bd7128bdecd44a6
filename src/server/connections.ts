import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Sockets and their in-flight requests, so shutdown closes quiet connections at once instead of
 * waiting for clients to drop them. Node's closeIdleConnections misses sockets that never sent a
 * request and ones whose event stream the client aborted.
 */
export function trackConnections(server: Server) {
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
