import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScripts, ScriptLoaderError } from '../../src/features/scriptLoader.js';

function scriptDir(files: Record<string, string>): URL {
  const dir = mkdtempSync(join(tmpdir(), 'seqscore-lua-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return pathToFileURL(`${dir}/`);
}

describe('loadScripts', () => {
  it('reads the key count from the file name', () => {
    const scripts = loadScripts(scriptDir({ 'appendEvent-2.lua': 'return 1', 'README.md': '' }));
    expect([...scripts.values()]).toEqual([{ name: 'appendEvent', numberOfKeys: 2, lua: 'return 1' }]);
  });

  it('reads n as any number of keys, passed by the caller', () => {
    const scripts = loadScripts(scriptDir({ 'commitAll-n.lua': 'return 1' }));
    expect(scripts.get('commitAll')?.numberOfKeys).toBeNull();
  });

  it('refuses a script without a key count', () => {
    expect(() => loadScripts(scriptDir({ 'appendEvent.lua': '' }))).toThrow(ScriptLoaderError);
  });

  it('refuses two scripts for one command', () => {
    expect(() => loadScripts(scriptDir({ 'a-1.lua': '', 'a-2.lua': '' }))).toThrow(/twice/);
  });

  it('loads the shipped scripts', () => {
    const shipped = loadScripts(new URL('../../src/features/lua/', import.meta.url));
    expect(shipped.get('commitUserStates')?.numberOfKeys).toBeNull();
    expect(shipped.get('dropOutcomes')?.numberOfKeys).toBeNull();
  });
});
