/** `npm run generate`: rewrites the generated sources (checked by test/generated-sources.test.ts). */
import { writeFileSync } from 'node:fs';
import { GENERATED_SOURCES } from './generated-sources.ts';

for (const { file, source } of GENERATED_SOURCES) {
  writeFileSync(file, source());
  process.stdout.write(`wrote ${file}\n`);
}
