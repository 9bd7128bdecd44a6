import { createServer } from 'node:http';

/** Runs `use` against an HTTP server that takes requests and never answers them. */
export async function withSilentServer<T>(use: (url: string) => Promise<T>): Promise<T> {
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  try {
    return await use(`http://127.0.0.1:${port}`);
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
}
