import { fileURLToPath } from 'node:url';
import { configValidatorSource } from '../src/config/validator-source.ts';
import { k8sSubsetSource, k8sSubsetTypes } from './k8s-subset.ts';

/** Files generated from other sources and committed, so that no start-up pays for generating them. */
export const GENERATED_SOURCES: readonly { file: string; source: () => string }[] = [
  { file: fileURLToPath(new URL('../src/config/config-validator.generated.js', import.meta.url)), source: configValidatorSource },
  { file: fileURLToPath(new URL('../imports/k8s.generated.js', import.meta.url)), source: k8sSubsetSource },
  { file: fileURLToPath(new URL('../imports/k8s.generated.d.ts', import.meta.url)), source: k8sSubsetTypes },
];
