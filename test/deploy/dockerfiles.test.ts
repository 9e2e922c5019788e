import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKER_NODE_FLAGS } from '../../src/worker/nodeFlags.js';
import {
  cliCommands,
  type DockerStage,
  dockerIgnored,
  envNames,
  METRICS_PORT,
  parseDockerfile,
  REPO,
  unknownVariables,
} from '../helpers/deployChecks.js';
import { DEPLOY_DIR } from '../helpers/deployFiles.js';

/** Static checks of the images: no Docker engine needed, so they run wherever the tests run. */

const packageJson = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};
let commands: string[] = [];
beforeAll(async () => {
  commands = await cliCommands();
}, 60_000);

const of = (stage: DockerStage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword);
const exec = (args: string) => JSON.parse(args) as string[];

describe.each(['Dockerfile', 'Dockerfile.gpu'])('deploy/%s', (file) => {
  const { stages } = parseDockerfile(join(DEPLOY_DIR, file));
  const runtime = stages.at(-1) as DockerStage;

  it('builds in one stage and runs from another, which takes only what it names from the build', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = new Set<string>();
    for (const stage of stages) {
      for (const copy of of(stage, 'COPY')) {
        const from = /--from=(\S+)/.exec(copy.args)?.[1];
        if (from) expect(names, `COPY --from=${from} in ${file}`).toContain(from);
      }
      if (stage.name) names.add(stage.name);
    }
    expect(
      of(runtime, 'RUN')
        .map((run) => run.args)
        .join(' '),
    ).not.toMatch(/npm (ci|install)/);
  });

  it('copies only sources that exist and that .dockerignore lets through', () => {
    for (const stage of stages)
      for (const copy of of(stage, 'COPY').filter((instruction) => !instruction.args.includes('--from='))) {
        const paths = copy.args.split(/\s+/).filter((part) => !part.startsWith('--'));
        for (const source of paths.slice(0, -1)) {
          expect(existsSync(join(REPO, source)), `${file}: COPY ${source}`).toBe(true);
          expect(dockerIgnored(source), `${file}: ${source} is in .dockerignore`).toBe(false);
        }
      }
    for (const stage of stages)
      for (const run of of(stage, 'RUN'))
        for (const script of run.args.match(/scripts\/[\w.-]+/g) ?? [])
          expect(existsSync(join(REPO, script)), `${file}: ${script}`).toBe(true);
  });

  it('ships only production dependencies', () => {
    const build = stages.find((stage) =>
      of(runtime, 'COPY').some((copy) => copy.args.includes(`--from=${stage.name}`)),
    );
    expect(of(build as DockerStage, 'RUN').some((run) => /npm prune --omit=dev/.test(run.args))).toBe(true);
  });

  it('patches the installed dependencies itself, since it installs them without scripts', () => {
    const install = stages.find((stage) => of(stage, 'RUN').some((run) => /npm ci/.test(run.args)));
    const runs = of(install as DockerStage, 'RUN').map((run) => run.args);
    const installed = runs.findIndex((run) => /npm ci --ignore-scripts/.test(run));
    expect(installed).toBeGreaterThanOrEqual(0);
    expect(runs.findIndex((run) => /patch-package/.test(run))).toBeGreaterThan(installed);
    expect(of(install as DockerStage, 'COPY').some((copy) => /^patches\s/.test(copy.args))).toBe(true);
  });

  it('runs as an unprivileged user', () => {
    const user = of(runtime, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('exposes the metrics port the configuration serves on, and sets only known variables', () => {
    const env = of(runtime, 'ENV');
    const names = env.flatMap(envNames).filter((name) => /^(SEQSCORE|KAFKA|REDIS)_/.test(name));
    expect(unknownVariables(names)).toEqual([]);
    const port = /SEQSCORE_METRICS_PORT=(\d+)/.exec(env.map((e) => e.args).join(' '))?.[1];
    expect(Number(port ?? METRICS_PORT)).toBe(METRICS_PORT);
    expect(of(runtime, 'EXPOSE').map((expose) => Number(expose.args))).toEqual([METRICS_PORT]);
  });

  it('starts the CLI with the worker V8 flags, with a command of it as the default (worker), so one image serves every process', () => {
    const [entrypoint] = of(runtime, 'ENTRYPOINT');
    expect(exec(entrypoint?.args ?? '[]')).toEqual(['node', ...WORKER_NODE_FLAGS, packageJson.bin.seqscore]);
    expect(existsSync(join(REPO, 'src/cli/index.ts'))).toBe(true);
    const [cmd] = of(runtime, 'CMD');
    expect(exec(cmd?.args ?? '[]')).toEqual(['worker']);
    expect(commands).toContain('worker');
  });
});
