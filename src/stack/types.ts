/** The two services that make up the local stack. */
export type ServiceName = 'kafka' | 'redis';

export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'redis'];

export interface Endpoint {
  host: string;
  port: number;
}

/** Receives one human-readable progress line at a time (the CLI prints them; tests may drop them). */
export type ProgressReporter = (line: string) => void;

export interface StackOptions {
  /** Project directory; the stack keeps its state under `<cwd>/.seqscore/stack`. Defaults to process.cwd(). */
  cwd?: string;
  /** Environment to read the app configuration from. Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs a dedicated instance with its state in this folder (SEQSCORE_STACK_DIR does the same): the
   * addresses in KAFKA_BROKERS and REDIS_URL are then started and stopped by this stack even though
   * they are set explicitly. Tests that restart services use this, never the shared default stack.
   */
  stateDir?: string;
  onProgress?: ProgressReporter;
}

export interface StackUpOptions extends StackOptions {
  /** How long to wait for each service to answer after starting it. Defaults to 90 s. */
  readyTimeoutMs?: number;
}

export interface StackDownOptions extends StackOptions {
  /** Only stop these services (e.g. the ones a test run started itself). Defaults to both. */
  services?: readonly ServiceName[];
}

/**
 * - started: this call launched the process.
 * - running: a process from our own pid file was already serving.
 * - external: something we do not manage serves the address (configured explicitly, or already there).
 */
export type UpOutcome = 'started' | 'running' | 'external';

export interface ServiceUpResult {
  service: ServiceName;
  address: string;
  outcome: UpOutcome;
  /** Pid of the process we manage; absent for external services. */
  pid?: number;
}

export interface StackUpResult {
  /** The services this call launched, i.e. the ones the caller is responsible for stopping. */
  started: ServiceName[];
  services: ServiceUpResult[];
}

export type DownOutcome = 'stopped' | 'killed' | 'not-running';

export interface ServiceDownResult {
  service: ServiceName;
  outcome: DownOutcome;
  pid?: number;
}

export interface StackDownResult {
  services: ServiceDownResult[];
}

/**
 * - managed: a process from our pid file is alive (it may still be starting if `answering` is false).
 * - external: the address answers but the process is not ours (or the address was configured explicitly).
 * - stopped: nothing of ours runs and nothing answers.
 */
export type ServiceMode = 'managed' | 'external' | 'stopped';

export interface ServiceStatus {
  service: ServiceName;
  address: string;
  answering: boolean;
  mode: ServiceMode;
  /** True when the address came from KAFKA_BROKERS / REDIS_URL, so the stack never starts it. */
  configuredExternally: boolean;
  pid?: number;
  logFile?: string;
}

export interface StackStatus {
  services: ServiceStatus[];
}
