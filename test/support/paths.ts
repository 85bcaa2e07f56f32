import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const CORPUS = path.join(REPO_ROOT, 'test/fixtures');
export const SAMPLE_TOML = path.join(CORPUS, 'ai.toml');
export const CLI_EXAMPLES = path.join(CORPUS, 'cli-examples.txt');
export const EXECUTION_SNAPSHOT_SCHEMA = path.join(CORPUS, 'execution-snapshot.yaml');
export const BIN = path.join(REPO_ROOT, 'bin/aitws.js');
