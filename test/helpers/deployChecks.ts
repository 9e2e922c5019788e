import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { DEPLOY_DIR } from './deployFiles.js';

/**
 * What the deployment files (Dockerfiles, compose file, Kubernetes manifests) are checked against,
 * read from the project itself at test time: the variables of src/config.ts, the commands and
 * options of the CLI, the paths the health server answers and the default metrics port.
 */

export const REPO = join(DEPLOY_DIR, '..');

export const METRICS_PORT = loadConfig({}).metrics.port;

export function unknownVariables(names: Iterable<string>): string[] {
  return [...names].filter((name) => !CONFIG_VARIABLES.includes(name));
}

/** The paths the metrics server answers, read from its source. */
export function servedPaths(): string[] {
  const source = readFileSync(join(REPO, 'src/metrics/httpServer.ts'), 'utf8');
  return [...source.matchAll(/path === '(\/[a-z]+)'/g)].map((match) => match[1] as string);
}

/** Every document of a YAML file; throws on the first syntax error. */
export function readYamlDocuments<T>(path: string): T[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
    return document.toJS() as T;
  });
}

const run = promisify(execFile);

async function help(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args, '--help'], {
    cwd: REPO,
  });
  return stdout;
}

/** The `seqscore` commands, from the CLI's own help. */
export async function cliCommands(): Promise<string[]> {
  const text = await help([]);
  const section = text.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((match) => match[1] as string);
}

/** The options a command accepts, from its help. */
export async function cliOptions(command: string): Promise<string[]> {
  return [...(await help([command])).matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0]);
}

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  name?: string;
  base: string;
  instructions: DockerInstruction[];
}

/** A Dockerfile's stages with their instructions, continuation lines joined and comments dropped. */
export function parseDockerfile(path: string): { args: Record<string, string>; stages: DockerStage[] } {
  const logical: string[] = [];
  let pending = '';
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const joined = (pending + line).trim();
    pending = '';
    if (joined) logical.push(joined);
  }
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!from) throw new Error(`${path}: cannot read FROM ${instruction.args}`);
      const base = (from[1] as string).replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
      stages.push({ base, instructions: [], ...(from[2] ? { name: from[2] } : {}) });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name = '', value = ''] = instruction.args.split('=');
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The variables an ENV instruction sets (`A=1 B=2`). */
export function envNames(instruction: DockerInstruction): string[] {
  return [...instruction.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map(
    (match) => match[1] as string,
  );
}

/** Patterns of a .dockerignore, as prefixes of repository paths (the simple forms it uses). */
export function dockerIgnored(path: string): boolean {
  const file = join(REPO, '.dockerignore');
  if (!existsSync(file)) return false;
  const patterns = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  return patterns.some((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return regex.test(path);
  });
}
