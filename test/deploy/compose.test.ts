import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cliCommands,
  cliOptions,
  METRICS_PORT,
  REPO,
  servedPaths,
  unknownVariables,
} from '../helpers/deployChecks.js';
import { DEPLOY_DIR, type PrometheusConfig, readDeployYaml } from '../helpers/deployFiles.js';

/** deploy/docker-compose.yml, read as compose reads it, and held to the project. */

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = readDeployYaml<ComposeFile>('docker-compose.yml');
const services = Object.entries(compose.services);
/** The project's own services: those built from its Dockerfile. */
const own = services.filter(([, service]) => service.build !== undefined);

/** The seqscore command lines a service runs: its command, or the CLI calls in a shell entrypoint. */
function invocations(service: Service): string[][] {
  if (!service.entrypoint) return [service.command ?? ['worker']];
  return (service.command ?? []).flatMap((line) =>
    [...line.matchAll(/dist\/cli\/index\.js ([^|&;]+)/g)].map((match) =>
      (match[1] as string).trim().split(/\s+/),
    ),
  );
}

const hostSources = (service: Service) => (service.volumes ?? []).map((volume) => volume.split(':')[0] ?? '');

let commands: string[] = [];
beforeAll(async () => {
  commands = await cliCommands();
}, 60_000);

describe('deploy/docker-compose.yml', () => {
  it('has the whole system: Kafka, Redis, Prometheus, Grafana, worker, trainer and a producer', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['kafka', 'redis', 'prometheus', 'grafana', 'worker', 'trainer', 'producer']),
    );
    expect(own.map(([name]) => name)).toEqual(expect.arrayContaining(['worker', 'trainer', 'producer']));
  });

  it('builds one image, from the project Dockerfile, for all of its own services', () => {
    for (const [name, service] of own) {
      const build = service.build as NonNullable<Service['build']>;
      expect(resolve(DEPLOY_DIR, build.context), name).toBe(REPO);
      expect(existsSync(join(REPO, build.dockerfile)), `${name}: ${build.dockerfile}`).toBe(true);
    }
    expect(new Set(own.map(([, service]) => service.image)).size).toBe(1);
  });

  it('runs Kafka 3.x in KRaft mode: kafkajs cannot talk to 4.x', () => {
    const kafka = compose.services.kafka as Service;
    expect(kafka.image).toMatch(/^apache\/kafka:3\.\d+\.\d+$/);
    expect(kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    const broker = (compose.services.worker as Service).environment?.KAFKA_BROKERS ?? '';
    const [host, port] = broker.split(':');
    expect(host).toBe('kafka');
    expect(kafka.environment?.KAFKA_ADVERTISED_LISTENERS).toContain(`//kafka:${port}`);
    expect((compose.services.worker as Service).environment?.REDIS_URL).toMatch(/^redis:\/\/redis:6379$/);
  });

  it('sets only variables the configuration knows', () => {
    for (const [name, service] of own)
      expect(unknownVariables(Object.keys(service.environment ?? {})), name).toEqual([]);
  });

  it('runs commands and options the CLI has', async () => {
    const lines = own.flatMap(([name, service]) => {
      const found = invocations(service);
      expect(found.length, name).toBeGreaterThan(0);
      return found.map(([command = '', ...args]) => ({ name, command, args }));
    });
    const names = [...new Set(lines.map(({ command }) => command))];
    const options = new Map(
      await Promise.all(names.map(async (name) => [name, await cliOptions(name)] as const)),
    );
    for (const { name, command, args } of lines) {
      expect(commands, `${name}: seqscore ${command}`).toContain(command);
      for (const flag of args.filter((arg) => arg.startsWith('--')))
        expect(options.get(command), `${name}: seqscore ${command} ${flag}`).toContain(flag);
    }
  }, 60_000);

  it('serves metrics and health on the configured port, at paths the server answers', () => {
    const paths = servedPaths();
    expect(paths).toEqual(expect.arrayContaining(['/metrics', '/healthz', '/readyz']));
    for (const name of ['worker', 'trainer']) {
      const service = compose.services[name] as Service;
      const port = Number(service.environment?.SEQSCORE_METRICS_PORT ?? METRICS_PORT);
      expect(port, name).toBe(METRICS_PORT);
      expect(service.expose?.map(Number), name).toContain(port);
    }
    const probe = (compose.services.worker as Service).healthcheck?.test.join(' ') ?? '';
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/.exec(probe);
    expect(Number(url?.[1])).toBe(METRICS_PORT);
    expect(paths).toContain(url?.[2]);
  });

  it('refers only to services and volumes it defines, and mounts host paths that exist', () => {
    const named = new Set(Object.keys(compose.volumes ?? {}));
    for (const [name, service] of services) {
      const dependencies = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies)
        expect(Object.keys(compose.services), name).toContain(dependency);
      for (const source of hostSources(service)) {
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(named, `${name}: volume ${source}`).toContain(source);
        else expect(existsSync(join(DEPLOY_DIR, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('is scraped by its Prometheus at the services and the port it runs', () => {
    const targets = readDeployYaml<PrometheusConfig>('prometheus/prometheus.yml').scrape_configs.flatMap(
      (job) => [
        ...((job.dns_sd_configs ?? []) as { names: string[]; port: number }[]).flatMap((sd) =>
          sd.names.map((host) => `${host}:${sd.port}`),
        ),
        ...((job.static_configs ?? []) as { targets: string[] }[]).flatMap((config) => config.targets),
      ],
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const [host = '', port] = target.split(':');
      expect(
        own.map(([name]) => name),
        target,
      ).toContain(host);
      expect(Number(port), target).toBe(METRICS_PORT);
    }
  });

  it('mounts the monitoring files where Prometheus and Grafana read them', () => {
    const mounts = (name: string) => (compose.services[name] as Service).volumes ?? [];
    expect(mounts('prometheus')).toEqual(
      expect.arrayContaining([
        './prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
      ]),
    );
    expect(mounts('grafana')).toEqual(
      expect.arrayContaining([
        './grafana/provisioning:/etc/grafana/provisioning:ro',
        './grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });
});
