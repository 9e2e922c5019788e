import { createServer } from 'node:net';

/**
 * Ports for the fault tests' own stack instances are drawn below Linux's default ephemeral range
 * (32768-60999). A port that the kernel hands out for listen(0) comes from that range, and between
 * our check and the broker's bind (seconds later, once the JVM is up) any outgoing connection may
 * take it: CI failed once with "Address already in use" that way.
 */
const LOWEST = 20_000;
const HIGHEST = 32_000;

/** Binds the port on loopback and lets it go again: true if it was free. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function randomPort(): number {
  return LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST));
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomPort();
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port on loopback between ${LOWEST} and ${HIGHEST}`);
}

/** A free port whose successor is free too: KRaft's controller listens right above the broker. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomPort();
    if ((await isFree(port)) && (await isFree(port + 1))) return port;
  }
  throw new Error(`no two consecutive free ports on loopback between ${LOWEST} and ${HIGHEST}`);
}
