import { type Command, InvalidArgumentError, Option } from 'commander';
import { EVENT_FILE_FORMATS, type EventFileFormat } from '../events/eventFiles.js';
import type { EventSource } from '../events/eventSources.js';

export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError('expected a positive integer');
  return value;
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('expected a positive number');
  return value;
}

export function nonNegativeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError('expected a number of at least 0');
  return value;
}

export function isoTime(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    throw new InvalidArgumentError('expected an ISO-8601 time such as 2017-12-01T16:00:00Z');
  }
  return ms;
}

/** --events FILE --format F, or --synthetic N: the two ways to name where events come from. */
export function addSourceOptions(command: Command): Command {
  return command
    .option('--events <file>', 'event file to read')
    .addOption(
      new Option('--format <format>', 'format of --events').choices(EVENT_FILE_FORMATS).default('taobao'),
    )
    .option(
      '--synthetic <count>',
      'generate this many synthetic events instead of reading a file',
      positiveInt,
    )
    .option('--seed <n>', 'seed for synthetic events and shuffles', positiveInt, 7);
}

export interface SourceOptionValues {
  events?: string;
  format: EventFileFormat;
  synthetic?: number;
  seed: number;
}

export function sourceFromOptions(options: SourceOptionValues): EventSource {
  if (options.events && options.synthetic)
    throw new InvalidArgumentError('give --events or --synthetic, not both');
  if (options.events) return { kind: 'file', file: options.events, format: options.format };
  if (options.synthetic)
    return { kind: 'synthetic', options: { events: options.synthetic, seed: options.seed } };
  throw new InvalidArgumentError('give --events FILE (with --format) or --synthetic COUNT');
}
