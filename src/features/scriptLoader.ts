import { readdirSync, readFileSync } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';

/**
 * Loads the Lua scripts in ./lua once and defines each as a command on every client that needs it.
 * File names carry the key count (`userEvents-4.lua`), so a script and its caller cannot silently
 * disagree on which arguments are keys; `-n` marks a script that takes any number of keys, whose
 * count the caller passes first (`commitUserStates-n.lua`). ioredis then runs them by SHA and
 * reloads on NOSCRIPT.
 */

export interface LuaScript {
  name: string;
  /** null: any number, which the caller passes as the first argument. */
  numberOfKeys: number | null;
  lua: string;
}

export class ScriptLoaderError extends Error {
  override readonly name = 'ScriptLoaderError';
}

const SCRIPT_FILE = /^([A-Za-z][A-Za-z0-9]*)-(\d+|n)\.lua$/;

export function loadScripts(directory: URL): Map<string, LuaScript> {
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(directory).sort()) {
    if (!file.endsWith('.lua')) continue;
    const match = SCRIPT_FILE.exec(file);
    if (!match) {
      throw new ScriptLoaderError(`${file}: a script must be named <command>-<numberOfKeys or n>.lua`);
    }
    const [, name, keys] = match as unknown as [string, string, string];
    if (scripts.has(name)) throw new ScriptLoaderError(`${file}: command "${name}" is defined twice`);
    scripts.set(name, {
      name,
      numberOfKeys: keys === 'n' ? null : Number(keys),
      lua: readFileSync(new URL(file, directory), 'utf8'),
    });
  }
  return scripts;
}

export type ScriptArgument = string | number | Buffer;
type ScriptCommand = (...args: ScriptArgument[]) => Promise<unknown>;
type QueuedScriptCommand = (...args: ScriptArgument[]) => ChainableCommander;

export class ScriptLoader {
  private scripts: Map<string, LuaScript> | undefined;
  private readonly defined = new WeakSet<Redis>();

  constructor(private readonly directory: URL) {}

  private all(): Map<string, LuaScript> {
    this.scripts ??= loadScripts(this.directory);
    return this.scripts;
  }

  private ensureDefined(client: Redis): void {
    if (this.defined.has(client)) return;
    for (const script of this.all().values()) {
      // Without numberOfKeys, ioredis takes the first argument as the key count.
      client.defineCommand(script.name, {
        lua: script.lua,
        ...(script.numberOfKeys === null ? {} : { numberOfKeys: script.numberOfKeys }),
      });
    }
    this.defined.add(client);
  }

  private lookup<T>(target: object, name: string): T {
    if (!this.all().has(name.replace(/Buffer$/, '')))
      throw new ScriptLoaderError(`no Lua script named "${name}"`);
    return (target as Record<string, unknown>)[name] as T;
  }

  /** The script as a command on the client: one round trip per call. */
  command(client: Redis, name: string): ScriptCommand {
    this.ensureDefined(client);
    return this.lookup<ScriptCommand>(client, name).bind(client);
  }

  /** A pipeline on which the scripts can be queued: one round trip for everything queued. */
  pipeline(client: Redis): ChainableCommander {
    // ioredis copies the client's custom commands into a pipeline when it is created.
    this.ensureDefined(client);
    return client.pipeline();
  }

  /** The script as a command queued on a pipeline made by pipeline(). */
  queued(pipeline: ChainableCommander, name: string): QueuedScriptCommand {
    return this.lookup<QueuedScriptCommand>(pipeline, name).bind(pipeline);
  }

  /** Like queued(), but its string replies come back as Buffers: for binary values. */
  queuedBuffer(pipeline: ChainableCommander, name: string): QueuedScriptCommand {
    this.lookup<QueuedScriptCommand>(pipeline, name);
    return this.lookup<QueuedScriptCommand>(pipeline, `${name}Buffer`).bind(pipeline);
  }
}

export const scriptLoader = new ScriptLoader(new URL('./lua/', import.meta.url));
