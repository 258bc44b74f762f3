import { fileURLToPath } from 'node:url';
import { configValidatorSource } from '../src/config/validator-source.ts';

/** Files generated from other sources and committed, so that no start-up pays for generating them. */
export const GENERATED_SOURCES: readonly { file: string; source: () => string }[] = [
  { file: fileURLToPath(new URL('../src/config/config-validator.generated.js', import.meta.url)), source: configValidatorSource },
];
