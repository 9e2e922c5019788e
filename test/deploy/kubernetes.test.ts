import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  cliCommands,
  METRICS_PORT,
  readYamlDocuments,
  servedPaths,
  unknownVariables,
} from '../helpers/deployChecks.js';
import { DEPLOY_DIR, readDeployYaml } from '../helpers/deployFiles.js';

/** deploy/k8s: each object validated against its API schema, then the objects against each other and the project. */

const K8S = join(DEPLOY_DIR, 'k8s');

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are plain YAML, checked field by field below
  [field: string]: any;
};

const SCHEMAS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const kustomization = readDeployYaml<{ resources: string[]; images: { name: string }[]; namespace: string }>(
  'k8s/kustomization.yaml',
);
const files = readdirSync(K8S).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
const manifests = files.flatMap((file) => readYamlDocuments<Manifest>(join(K8S, file)));

function one(kind: string, name: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
}

const configMap = one('ConfigMap', 'seqscore-config');
const secret = one('Secret', 'seqscore-secrets');
const worker = one('Deployment', 'seqscore-worker');
const trainer = one('Deployment', 'seqscore-trainer');
/** The settings the pods get: the configuration loaded from the ConfigMap, defaults filled in. */
const settings = loadConfig(configMap.data);
const podLabels = (deployment: Manifest) =>
  deployment.spec.template.metadata.labels as Record<string, string>;
const container = (deployment: Manifest) => deployment.spec.template.spec.containers[0];
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

let commands: string[] = [];
beforeAll(async () => {
  commands = await cliCommands();
}, 60_000);

describe('deploy/k8s', () => {
  it('lists every manifest in the kustomization, and only those', () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
    expect(one('Namespace', kustomization.namespace)).toBeDefined();
  });

  it('holds only objects that validate against their API schemas', () => {
    for (const manifest of manifests) {
      const Schema = SCHEMAS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Schema, `${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(
        () => new (Schema as NonNullable<typeof Schema>)(manifest as never).validate(),
        manifest.metadata.name,
      ).not.toThrow();
    }
  });

  it('configures only variables the configuration knows, and valid values', () => {
    expect(unknownVariables(Object.keys(configMap.data))).toEqual([]);
    expect(unknownVariables(Object.keys(secret.stringData))).toEqual([]);
    expect(settings.metrics.port).toBe(METRICS_PORT);
  });

  it('runs the project image with commands of its CLI, settings from the ConfigMap and the Secret', () => {
    const images = new Set(kustomization.images.map((image) => image.name));
    for (const deployment of [worker, trainer]) {
      const spec = container(deployment);
      expect(images).toContain(spec.image);
      const [command] = spec.args as string[];
      expect(commands, deployment.metadata.name).toContain(command);
      const sources = (
        spec.envFrom as { configMapRef?: { name: string }; secretRef?: { name: string } }[]
      ).map((source) => source.configMapRef?.name ?? source.secretRef?.name);
      expect(sources).toEqual([configMap.metadata.name, secret.metadata.name]);
      expect(unknownVariables((spec.env ?? []).map((variable: { name: string }) => variable.name))).toEqual(
        [],
      );
    }
    expect(container(worker).args).toEqual(['worker']);
    expect(container(trainer).args).toEqual(['trainer']);
  });

  it('probes /healthz and /readyz on the metrics port, which the server answers', () => {
    const paths = servedPaths();
    for (const deployment of [worker, trainer]) {
      const spec = container(deployment);
      const ports = spec.ports as { name: string; containerPort: number }[];
      expect(ports).toContainEqual({ name: 'metrics', containerPort: METRICS_PORT });
      expect(spec.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
      expect(spec.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']
        .map((name) => spec[name])
        .filter(Boolean))
        expect(paths).toContain(probe.httpGet.path);
    }
  });

  it('gives a stopping worker longer than its shutdown timeout, and runs as an unprivileged user', () => {
    for (const deployment of [worker, trainer]) {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    }
    expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      settings.worker.shutdownTimeoutMs,
    );
  });

  it('scales workers on the consumer lag of the input topic, up to one per partition', () => {
    const scaled = one('ScaledObject', 'seqscore-worker');
    expect(one('Deployment', scaled.spec.scaleTargetRef.name)).toBe(worker);
    expect(scaled.spec.maxReplicaCount).toBe(settings.topics.partitions);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata).toMatchObject({
      bootstrapServers: settings.kafka.brokers.join(','),
      consumerGroup: settings.kafka.groupId,
      topic: settings.topics.input,
      allowIdleConsumers: 'false',
    });
  });

  it('runs exactly one trainer, never two at once', () => {
    expect(trainer.spec.replicas).toBe(1);
    expect(trainer.spec.strategy.type).toBe('Recreate');
  });

  it('selects the worker pods from the PDB and the Service, and the Service from the ServiceMonitor', () => {
    const labels = podLabels(worker);
    expect(selects(worker.spec.selector.matchLabels, labels)).toBe(true);
    expect(selects(one('PodDisruptionBudget', 'seqscore-worker').spec.selector.matchLabels, labels)).toBe(
      true,
    );
    const service = one('Service', 'seqscore-worker');
    expect(selects(service.spec.selector, labels)).toBe(true);
    expect(selects(service.spec.selector, podLabels(trainer))).toBe(false);
    const containerPorts = container(worker).ports.map((port: { name: string }) => port.name);
    for (const port of service.spec.ports) expect(containerPorts).toContain(port.targetPort);
    const monitor = one('ServiceMonitor', 'seqscore-worker');
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
    const servicePorts = service.spec.ports.map((port: { name: string }) => port.name);
    for (const endpoint of monitor.spec.endpoints) {
      expect(servicePorts).toContain(endpoint.port);
      expect(servedPaths()).toContain(endpoint.path);
    }
  });

  it('mounts the model volume read-only in workers and writable in the trainer', () => {
    const claim = one('PersistentVolumeClaim', 'seqscore-models');
    expect(claim.spec.accessModes).toContain('ReadWriteMany');
    const modelsMount = (deployment: Manifest) => {
      const pod = deployment.spec.template.spec;
      const volume = pod.volumes.find(
        (entry: { persistentVolumeClaim?: { claimName: string } }) =>
          entry.persistentVolumeClaim?.claimName === claim.metadata.name,
      );
      return container(deployment).volumeMounts.find((mount: { name: string }) => mount.name === volume.name);
    };
    expect(settings.model.dir.startsWith(`${modelsMount(worker).mountPath}/`)).toBe(true);
    expect(modelsMount(worker).readOnly).toBe(true);
    expect(modelsMount(trainer).readOnly).toBeUndefined();
  });
});
