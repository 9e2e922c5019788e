// The local development stack: real Kafka (KRaft) and Redis as background processes.
export { formatEndpoint, parseHostPort, parseRedisUrl, planStack, type StackPlan } from './endpoints.js';
export { KAFKA_VERSION } from './kafkaJars.js';
export { cacheRoot, stackPaths, stackRoot } from './paths.js';
export { kafkaAnswers, redisAnswers } from './probes.js';
export { stackDown, stackStatus, stackUp } from './stack.js';
export * from './types.js';
