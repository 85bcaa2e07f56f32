import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const CORPUS = path.resolve(REPO_ROOT, '../shared/corpus');
export const SAMPLE_TOML = path.join(CORPUS, 'ruvnet-AiToml/ai.toml');
export const CLI_EXAMPLES = path.join(CORPUS, 'ruvnet-AiToml/cli-examples.txt');
export const BIN = path.join(REPO_ROOT, 'bin/aitws.js');
