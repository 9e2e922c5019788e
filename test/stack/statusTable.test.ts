import { describe, expect, it } from 'vitest';
import { formatStatusTable } from '../../src/cli/stackCommand.js';

describe('formatStatusTable', () => {
  it('aligns columns and says who runs each service', () => {
    const table = formatStatusTable([
      {
        service: 'kafka',
        address: '127.0.0.1:9092',
        answering: true,
        mode: 'managed',
        configuredExternally: false,
        pid: 12,
      },
      {
        service: 'redis',
        address: 'cache.example:6379',
        answering: false,
        mode: 'stopped',
        configuredExternally: true,
      },
    ]);
    expect(table.split('\n')).toEqual([
      'SERVICE  ADDRESS             ANSWERING  RUN BY',
      'kafka    127.0.0.1:9092      yes        seqscore (pid 12)',
      'redis    cache.example:6379  no         external (configured), down',
    ]);
  });
});
