import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, kafkaDeployDir } from './paths.js';
import { findOnPath, runCommand } from './processes.js';
import type { ProgressReporter } from './types.js';

/** Must match deploy/local/kafka/pom.xml; see the comment there for why it is 3.9 and not 4.x. */
export const KAFKA_VERSION = '3.9.1';

export interface KafkaInstall {
  home: string;
  libsDir: string;
  /** For `java -cp`: the JVM expands a trailing `*` to every jar in the folder. */
  classpath: string;
}

export function kafkaInstall(env: NodeJS.ProcessEnv = process.env): KafkaInstall {
  const home = join(cacheRoot(env), `kafka-${KAFKA_VERSION}`);
  const libsDir = join(home, 'libs');
  return { home, libsDir, classpath: join(libsDir, '*') };
}

const MARKER = '.complete';

/** True only after a fetch ran to the end; an interrupted one leaves no marker and is redone. */
export function isKafkaInstalled(install: KafkaInstall): boolean {
  return (
    existsSync(join(install.home, MARKER)) &&
    existsSync(join(install.libsDir, `kafka_2.13-${KAFKA_VERSION}.jar`))
  );
}

/** Prefers JAVA_HOME, as the Kafka scripts do, so a machine with several JDKs uses the chosen one. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  const fromHome = env.JAVA_HOME ? findOnPath(join(env.JAVA_HOME, 'bin', 'java'), env) : undefined;
  const java = fromHome ?? findOnPath('java', env);
  if (!java) {
    throw new Error(
      'java not found: the local Kafka broker needs a Java runtime (17 recommended). ' +
        'Install one (e.g. `apt-get install -y openjdk-17-jre-headless`) or set JAVA_HOME.',
    );
  }
  return java;
}

/**
 * Kafka is not packaged for Debian and has no npm distribution, but Maven Central has every jar,
 * so Maven resolves the broker and its dependencies once into the per-user cache.
 */
export async function ensureKafkaJars(
  env: NodeJS.ProcessEnv = process.env,
  onProgress: ProgressReporter = () => undefined,
): Promise<KafkaInstall> {
  const install = kafkaInstall(env);
  if (isKafkaInstalled(install)) return install;

  const mvn = findOnPath('mvn', env);
  if (!mvn) {
    throw new Error(
      `mvn not found: it is needed once to download Kafka ${KAFKA_VERSION} into ${install.libsDir}. ` +
        'Install Maven (e.g. `apt-get install -y maven`) and run again.',
    );
  }
  onProgress(
    `kafka: downloading Kafka ${KAFKA_VERSION} jars with Maven into ${install.libsDir} (first run only)`,
  );

  mkdirSync(install.home, { recursive: true });
  rmSync(join(install.home, MARKER), { force: true });
  // Maven works next to its pom; a copy in the cache keeps its target/ folder out of the repository.
  const pom = join(install.home, 'pom.xml');
  copyFileSync(join(kafkaDeployDir(), 'pom.xml'), pom);
  const partial = join(install.home, `libs.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });

  const result = await runCommand(
    mvn,
    [
      '-q',
      '-B',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${partial}`,
      '-DincludeScope=runtime',
    ],
    { cwd: install.home, env },
  );
  if (result.code !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(
      `Maven could not fetch Kafka ${KAFKA_VERSION} (exit ${result.code}):\n${result.output.trim()}`,
    );
  }
  const jars = readdirSync(partial).filter((name) => name.endsWith('.jar'));
  if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing from ${partial}`);
  }

  // Swap the folder in whole, so a reader never sees a half-copied classpath.
  rmSync(install.libsDir, { recursive: true, force: true });
  renameSync(partial, install.libsDir);
  writeFileSync(
    join(install.home, MARKER),
    `${JSON.stringify({ version: KAFKA_VERSION, jars: jars.length, fetchedAt: new Date().toISOString() })}\n`,
  );
  onProgress(`kafka: fetched ${jars.length} jars`);
  return install;
}
