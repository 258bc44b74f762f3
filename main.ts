/**
 * The cdk8s app (`cdk8s.yaml`: `app: node bin/ts-run.js main.ts`). `cdk8s synth` runs it with CDK8S_OUTDIR;
 * O11Y_CONFIG selects a config other than the embedded default `o11y.yaml`.
 */
import { ExitCode, InputError } from './src/errors.ts';
import { synthesize } from './src/synth.ts';

try {
  const { files } = synthesize({ configFile: process.env.O11Y_CONFIG ?? 'o11y.yaml', outDir: process.env.CDK8S_OUTDIR ?? 'dist' });
  process.stdout.write(`synthesized ${files.length} files\n`);
} catch (e) {
  if (!(e instanceof InputError)) throw e;
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = ExitCode.BadInput;
}
