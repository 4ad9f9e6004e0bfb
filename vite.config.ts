/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

const root = import.meta.dirname;

// One config, three jobs:
//   `vite` / `vite build --mode demo`  serves or builds the demo page (demo/ -> demo-dist/)
//   `vite build --mode lib`            builds the library, the Node entry and the CLI (src/ -> dist/)
//   `vitest`                           runs test/ in Node, on Dawn's WebGPU where a test needs it
export default defineConfig(({ mode }) => {
  if (mode === 'lib') {
    return {
      build: {
        outDir: 'dist',
        emptyOutDir: true,
        target: 'es2022',
        minify: false,
        sourcemap: true,
        lib: {
          entry: {
            index: resolve(root, 'src/index.ts'),
            node: resolve(root, 'src/node.ts'),
            cli: resolve(root, 'src/cli/main.ts'),
          },
          formats: ['es'],
        },
        rollupOptions: {
          external: [/^node:/, 'webgpu', 'fft.js'],
        },
      },
    };
  }
  return {
    root: resolve(root, 'demo'),
    base: './',
    publicDir: resolve(root, 'models'),
    server: { host: 'localhost', port: 5173, strictPort: false, fs: { allow: [root] } },
    preview: { host: 'localhost', port: 4173 },
    build: { outDir: resolve(root, 'demo-dist'), emptyOutDir: true, target: 'es2022' },
    test: {
      root,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: 120_000,
      hookTimeout: 300_000,
      fileParallelism: true,
      maxWorkers: 2,
    },
  };
});
