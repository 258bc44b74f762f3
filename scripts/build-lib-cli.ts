/** Part of `npm run build:lib`: the CLI the npm package's `bin/o11y.js` runs (lib/cli/entry.js). */
import { rmSync } from 'node:fs';
import { bundleSources } from './bundle.ts';

rmSync('lib/cli', { recursive: true, force: true });
await bundleSources('src/cli/entry.ts', 'lib/cli');
