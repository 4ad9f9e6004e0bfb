// A wasm/assembly entry compiled as it was at a git revision (with that revision's asconfig), for the benches
// that time the current kernels against an earlier build in the same run (bench/wasm-ab.ts, bench/frontend-frame.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';
import { ROOT } from './env';

/** The WebAssembly bytes of `entry` (e.g. 'wasm/assembly/index.ts') at `rev`. */
export async function compileAssemblyAt(rev: string, entry: string): Promise<Uint8Array<ArrayBuffer>> {
  const dir = mkdtempSync(join(tmpdir(), 'beenet-wasm-at-'));
  try {
    const tar = execFileSync('git', ['archive', rev, 'wasm'], { cwd: ROOT, maxBuffer: 1 << 26 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    const out = join(dir, 'out.wasm');
    const { error, stderr } = await asc.main([join(dir, entry), '--config', join(dir, 'wasm/asconfig.json'), '--target', 'release', '--outFile', out], {
      stdout: process.stdout,
      stderr: process.stderr,
    });
    if (error) throw new Error(`compiling ${entry} at ${rev}: ${error.message}\n${stderr.toString()}`);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
