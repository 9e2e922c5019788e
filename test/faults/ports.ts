import { createServer } from 'node:net';

/** Binds the port on loopback and lets it go again: the port it got, or undefined if taken. */
function listen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

export async function freePort(): Promise<number> {
  const port = await listen(0);
  if (port === undefined) throw new Error('no free port on loopback');
  return port;
}

/** A free port whose successor is free too: KRaft's controller listens right above the broker. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listen(0);
    if (port !== undefined && port < 65_000 && (await listen(port + 1)) !== undefined) return port;
  }
  throw new Error('no two consecutive free ports found');
}
