import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthReport {
  /** The process can make progress; false means it should be restarted. */
  live: boolean;
  /** The worker is in its consumer group, with a model loaded, and its stores answer. */
  ready: boolean;
  details: Record<string, unknown>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The registry to expose, asked at each scrape (a threaded worker sums its threads' into a new one). */
  metrics: () => Registry | Promise<Registry>;
  health: () => HealthReport | Promise<HealthReport>;
}

/** /metrics for Prometheus, /healthz (liveness) and /readyz (readiness) for orchestrators. */
export async function startHttpServer(options: HttpServerOptions): Promise<Server> {
  const server = createServer(async (request, response) => {
    try {
      const path = (request.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        const registry = await options.metrics();
        const body = await registry.metrics();
        response.writeHead(200, { 'content-type': registry.contentType }).end(body);
      } else if (path === '/healthz' || path === '/readyz') {
        const report = await options.health();
        const ok = path === '/healthz' ? report.live : report.ready;
        response
          .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...report.details }));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}

/** Stops accepting connections and resolves once the open ones have ended. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
