import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` listening (a taken port rejects) and resolves with its base URL, e.g. http://127.0.0.1:8787. */
export async function listenHttp(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${hostname}:${address.port}`;
}
