// Adds explicit `.js` extensions to the relative imports of the emitted declarations (dist/types), so they
// resolve under `moduleResolution: node16 / nodenext` as well as `bundler` (tsc keeps the sources' extensionless
// specifiers). A specifier naming a folder becomes `<folder>/index.js`.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist/types');
const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;

function rewrite(file) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(specifier, (all, head, quote, spec) => {
    if (/\.(js|mjs|cjs|json)$/.test(spec)) return all;
    const target = resolve(dirname(file), spec);
    const ext = existsSync(`${target}.d.ts`) ? '.js' : existsSync(join(target, 'index.d.ts')) ? '/index.js' : null;
    if (ext === null) throw new Error(`${file}: cannot resolve '${spec}'`);
    return `${head}${quote}${spec}${ext}${quote}`;
  });
  if (out !== text) writeFileSync(file, out);
}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.d.ts')) rewrite(p);
  }
}

if (!existsSync(root)) throw new Error(`no declarations at ${root} (run tsc -p tsconfig.build.json first)`);
walk(root);
