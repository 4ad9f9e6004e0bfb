// The import direction between src/ folders is a lint rule (eslint.config.js, docs/architecture.md): a file that
// reaches up a layer, or a runtime that loads a backend executor eagerly, fails `npm test`.
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

async function lint(file: string, code: string): Promise<string[]> {
  const [r] = await new ESLint({ cwd: root }).lintText(code, { filePath: resolve(root, file) });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layers', () => {
  it('rejects imports that go up a layer and eager backend executors in the runtime', async () => {
    expect(await lint('src/gpu/probe.ts', "import { BeenetModel } from '../runtime/model';\nexport const x = BeenetModel;\n")).toHaveLength(1);
    expect(await lint('src/wasm/probe.ts', "import { acquireGpu } from '../gpu/device';\nexport const x = acquireGpu;\n")).toHaveLength(1);
    expect(await lint('src/model/probe.ts', "import { planModel } from '../plan/plan';\nexport const x = planModel;\n")).toHaveLength(1);
    expect(await lint('src/layout/probe.ts', "import type { Layer } from '../model/graph';\nexport type X = Layer;\n")).toHaveLength(1);
    const eager = await lint('src/runtime/probe.ts', "import { GpuExecutor } from '../gpu/executor';\nexport const x = GpuExecutor;\n");
    expect(eager[0]).toMatch(/dynamic import/);
  });

  it('allows what the layers allow: downward imports, type-only imports and lazy executors', async () => {
    expect(await lint('src/gpu/probe.ts', "import type { ModelPlan } from '../plan/plan';\nexport type X = ModelPlan;\n")).toEqual([]);
    expect(await lint('src/runtime/probe.ts', "import type { GpuExecutor } from '../gpu/executor';\nexport type X = GpuExecutor;\n")).toEqual([]);
    expect(await lint('src/runtime/probe.ts', "export const load = () => import('../wasm/executor');\n")).toEqual([]);
  });
});
