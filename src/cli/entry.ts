/** Process entry of the `o11y` CLI: `bin/o11y.js` (through tsx) and the bundled image both start here. */
import { main } from './main.ts';

process.exitCode = await main(process.argv);
