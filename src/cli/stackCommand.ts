import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { stackDown, stackStatus, stackUp } from '../stack/index.js';
import type { ServiceStatus } from '../stack/types.js';

/**
 * `seqscore stack up|down|status`: the local Kafka + Redis that development, the demo and the tests
 * run against. Progress goes to stdout as plain lines; failures are logged on stderr and set the exit
 * code, so scripts can `seqscore stack up && ...`.
 */
export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description('run a local Kafka (KRaft) and Redis as background processes, state in .seqscore/stack');

  stack
    .command('up')
    .description('start whatever of Kafka and Redis is not answering yet, and wait until both answer')
    .option('--timeout <seconds>', 'how long to wait for each service to answer', parsePositive, 90)
    .action(async (options: { timeout: number }) => {
      await run(async () => {
        const result = await stackUp({ readyTimeoutMs: options.timeout * 1000, onProgress: print });
        print(
          result.started.length > 0
            ? `stack up: started ${result.started.join(' and ')}`
            : 'stack up: nothing to start, everything already answers',
        );
      });
    });

  stack
    .command('down')
    .description('stop the Kafka and Redis processes that `stack up` started (never external ones)')
    .action(async () => {
      await run(async () => {
        await stackDown({ onProgress: print });
      });
    });

  stack
    .command('status')
    .description('show, for Kafka and Redis, the address, whether it answers and who runs it')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { json?: boolean }) => {
      await run(async () => {
        const status = await stackStatus();
        print(options.json ? JSON.stringify(status, null, 2) : formatStatusTable(status.services));
      });
    });
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parsePositive(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`"${text}" is not a positive number of seconds`);
  return value;
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    // People read the message (it may carry a log excerpt); the stack trace is there at debug level.
    const logger = createLogger(logLevelOrDefault());
    logger.debug({ err: error }, 'stack command failed');
    logger.flush();
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

// A broken configuration is itself a likely reason to be here, so never fail while choosing a log level.
function logLevelOrDefault(): string {
  try {
    return loadConfig().logLevel;
  } catch {
    return 'info';
  }
}

export function formatStatusTable(services: readonly ServiceStatus[]): string {
  const rows = [
    ['SERVICE', 'ADDRESS', 'ANSWERING', 'RUN BY'],
    ...services.map((service) => [
      service.service,
      service.address,
      service.answering ? 'yes' : 'no',
      describeOwner(service),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function describeOwner(service: ServiceStatus): string {
  switch (service.mode) {
    case 'managed':
      return `seqscore (pid ${service.pid}${service.answering ? '' : ', not answering yet'})`;
    case 'external':
      return service.configuredExternally ? 'external (configured)' : 'external (not started by seqscore)';
    case 'stopped':
      return service.configuredExternally ? 'external (configured), down' : '-';
  }
}
