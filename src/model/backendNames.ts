/**
 * The TensorFlow.js backends seqscore can run on, fastest first. Kept apart from backend.ts so that
 * configuration can name them without loading TensorFlow.js.
 */
export const BACKEND_NAMES = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendPreference = BackendName | 'auto';
