// Writes docs/runbook.md from the rule definitions: `npx tsx scripts/runbook.ts`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runbookMarkdown } from '../src/rules/catalogue.ts';

writeFileSync(fileURLToPath(new URL('../docs/runbook.md', import.meta.url)), runbookMarkdown());
