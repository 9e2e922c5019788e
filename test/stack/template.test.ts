import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaDeployDir } from '../../src/stack/paths.js';
import { renderTemplate } from '../../src/stack/template.js';

describe('renderTemplate', () => {
  it('fills every placeholder, with or without inner spaces', () => {
    expect(renderTemplate('a={{A}} b={{ B }} a again={{A}}', { A: 1, B: 'two' })).toBe('a=1 b=two a again=1');
  });

  it('refuses to leave a placeholder unfilled', () => {
    expect(() => renderTemplate('port={{PORT}} dir={{DIR}}', { PORT: 1 })).toThrow(/needs values for: DIR/);
  });

  it('refuses values that have no placeholder, which usually means a typo', () => {
    expect(() => renderTemplate('port={{PORT}}', { PORT: 1, PROT: 2 })).toThrow(/no placeholder for: PROT/);
  });

  it('refuses a value with a line break, which could inject extra properties', () => {
    expect(() => renderTemplate('dir={{DIR}}', { DIR: '/x\nlog.dirs=/etc' })).toThrow(/line break/);
  });

  it('reports a malformed placeholder instead of passing it through', () => {
    expect(() => renderTemplate('dir={{dir}}', {})).toThrow(/malformed placeholder: \{\{dir\}\}/);
  });
});

describe('the Kafka server.properties template', () => {
  const template = readFileSync(join(kafkaDeployDir(), 'server.properties.template'), 'utf8');
  const rendered = renderTemplate(template, {
    BROKER_PORT: 19092,
    CONTROLLER_PORT: 19093,
    DATA_DIR: '/data/k',
    CLIENT_PROTOCOL: 'PLAINTEXT',
  });
  const properties = new Map(
    rendered
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)] as const;
      }),
  );

  it('puts both listeners on loopback at the given ports', () => {
    expect(properties.get('listeners')).toBe('CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(properties.get('advertised.listeners')).toBe('CLIENT://127.0.0.1:19092');
    expect(properties.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
  });

  it('runs a single KRaft node that can host its internal topics', () => {
    expect(properties.get('process.roles')).toBe('broker,controller');
    expect(properties.get('log.dirs')).toBe('/data/k');
    expect(properties.get('offsets.topic.replication.factor')).toBe('1');
    expect(properties.get('transaction.state.log.replication.factor')).toBe('1');
    expect(properties.get('transaction.state.log.min.isr')).toBe('1');
  });
});
