/** `npm run build`: the CLI bundle the Dockerfile ships (build/ is never committed). */
import { bundle } from './bundle.ts';

await bundle('src/cli/entry.ts', 'build/o11y.mjs');
