import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const LAYERS = ['index.ts', 'main.ts', 'src', 'charts', 'constructs'];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every source file's relative imports (type-only ones too: they are dependencies of the design), by repository path. */
function importGraph(): Map<string, string[]> {
  const files = LAYERS.flatMap((p) => (p.endsWith('.ts') ? [p] : readdirSync(join(ROOT, p), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(p, f))));
  return new Map(
    files.map((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const targets = [...text.matchAll(IMPORT)].map((m) => normalize(join(dirname(file), m[1] ?? m[2]!)));
      return [file, targets];
    }),
  );
}

/** The files `from` reaches through imports, with the path to each. */
function reach(graph: Map<string, string[]>, from: string): Map<string, string[]> {
  const paths = new Map<string, string[]>([[from, [from]]]);
  const queue = [from];
  while (queue.length) {
    const file = queue.shift()!;
    for (const next of graph.get(file) ?? []) {
      if (paths.has(next)) continue;
      paths.set(next, [...paths.get(file)!, next]);
      queue.push(next);
    }
  }
  return paths;
}

const graph = importGraph();
const under = (dir: string) => [...graph.keys()].filter((f) => f.startsWith(`${dir}/`));
const inside = (file: string, dirs: readonly string[]) => dirs.some((d) => file.startsWith(`${d}/`));

/** Files of `from` that reach a file in `forbidden`, each with its import chain. */
function violations(from: readonly string[], forbidden: readonly string[]): string[] {
  return from.flatMap((file) => [...reach(graph, file)].filter(([target]) => inside(target, forbidden)).map(([, path]) => path.join(' -> ')).slice(0, 1));
}

describe('imports point one way: model -> constructs -> charts -> synth', () => {
  it('reads the import graph (the checks below are not vacuous)', () => {
    expect(under('src/model').length).toBeGreaterThan(5);
    expect(graph.get('charts/stack.ts')!.some((t) => t.startsWith('constructs/'))).toBe(true);
    expect(violations(['charts/stack.ts'], ['constructs'])).not.toEqual([]);
  });

  it.each([
    { name: 'the model and the config front-end', from: ['src/model', 'src/config'], forbidden: ['constructs', 'charts'] },
    { name: 'routing and the graph', from: ['src/routing', 'src/graph'], forbidden: ['constructs', 'charts'] },
    { name: 'the SLO compiler, rules and dashboards', from: ['src/slo', 'src/rules', 'src/dashboards'], forbidden: ['constructs', 'charts'] },
    { name: 'the controller', from: ['src/controller'], forbidden: ['constructs', 'charts'] },
    { name: 'the constructs', from: ['constructs'], forbidden: ['charts'] },
  ])('$name never reach $forbidden', ({ from, forbidden }) => {
    expect(violations(from.flatMap(under), forbidden)).toEqual([]);
  });

  it('every import resolves to a file of the project', () => {
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((t) => !t.startsWith('imports/') && !graph.has(t) && !(/\.(json|js)$/.test(t) && existsSync(join(ROOT, t)))).map((t) => `${file} -> ${t}`));
    expect(missing).toEqual([]);
  });
});
