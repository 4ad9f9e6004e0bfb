import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ABOVE = {
  layout: ['model', 'format', 'plan', 'cpu', 'wasm', 'gpu', 'audio', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  model: ['format', 'plan', 'cpu', 'wasm', 'gpu', 'audio', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  format: ['plan', 'cpu', 'wasm', 'gpu', 'audio', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  plan: ['format', 'cpu', 'wasm', 'gpu', 'audio', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  cpu: ['wasm', 'gpu', 'audio', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  wasm: ['gpu', 'audio', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  gpu: ['cpu', 'wasm', 'audio', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  audio: ['format', 'plan', 'cpu', 'wasm', 'gpu', 'runtime', 'stream', 'eval', 'data', 'train', 'cli', 'node'],
  runtime: ['stream', 'eval', 'data', 'train', 'cli'],
  stream: ['eval', 'data', 'train', 'cli'],
};

/** One no-restricted-imports block per layer: the folders above it are off limits. */
function importLayers() {
  const blocks = Object.entries(ABOVE).map(([layer, above]) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: above.map((f) => `**/${f}/*`), message: `src/${layer} sits below these folders (docs/architecture.md)` }],
      }],
    },
  }));
  // The runtime picks a backend first; the heavy executors (kernels, WGSL, WASM bytes) load only when chosen.
  blocks.push({
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/stream/*', '**/eval/*', '**/data/*', '**/train/*', '**/cli/*'], message: 'src/runtime sits below these folders (docs/architecture.md)' },
          {
            group: ['**/gpu/executor', '**/gpu/kernels/*', '**/gpu/shaders', '**/wasm/executor', '**/wasm/pool-executor', '**/wasm/module', '**/wasm/generated/*'],
            allowTypeImports: true,
            message: 'load backend executors with a dynamic import() when the backend is chosen',
          },
        ],
      }],
    },
  });
  return blocks;
}

export default tseslint.config(
  { ignores: ['dist/', 'demo-dist/', 'node_modules/', 'wasm/build/', 'data/', 'out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  // The layers (docs/architecture.md): each src/ folder imports only from the folders below it, so a violation
  // fails `npm test`. Backends never import the runtime or each other; the runtime loads the WASM and WebGPU
  // executors lazily (dynamic import()), so a page carries only the backend it runs.
  ...importLayers(),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
