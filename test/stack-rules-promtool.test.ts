import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stackRules } from '../src/rules/stack-rules.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { runTool } from './support/run-tool.ts';

// The stack's own alerts under the real promtool 3: each test file in test/stack-rules/ feeds
// realistic series and says which alerts fire, with which labels, and which stay quiet.

const TESTS = fileURLToPath(new URL('./stack-rules', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'o11y-stack-rules-'));
writeFileSync(join(dir, 'stack.rules.yaml'), dumpYaml(stackRules()));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stack alerts (promtool test rules)', () => {
  it.each(readdirSync(TESTS).filter((f) => f.endsWith('.test.yaml')))('%s', (file) => {
    copyFileSync(join(TESTS, file), join(dir, file));
    const run = runTool('promtool', ['test', 'rules', file], { cwd: dir });
    expect(run.output).toContain('SUCCESS');
    expect(run.status, run.output).toBe(0);
  });
});
