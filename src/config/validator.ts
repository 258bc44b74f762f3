import type { ErrorObject, ValidateFunction } from 'ajv';
import { evaluateCached } from '../compile-cache.ts';
import { helpers, source } from './config-validator.generated.js';

let compiled: ValidateFunction | undefined;

/**
 * Validates a config against src/config/schema.ts, filling in defaults: the problems, or undefined.
 * The validator (Ajv standalone code, src/config/validator-source.ts) is compiled on first use
 * through a V8 code cache: compiling its megabyte of JavaScript at every start cost about 0.15 s.
 */
export function validateConfig(raw: object): ErrorObject[] | undefined {
  if (!compiled) {
    const evaluated = evaluateCached(source, 'o11y-config-validator');
    compiled = (evaluated.value as (...h: unknown[]) => ValidateFunction)(...helpers);
    const valid = compiled(raw);
    evaluated.save();
    return valid ? undefined : (compiled.errors ?? []);
  }
  return compiled(raw) ? undefined : (compiled.errors ?? []);
}
