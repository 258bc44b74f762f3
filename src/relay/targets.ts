import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';

/** The robots the relay posts to (Alertmanager has no receiver for them). */
export const ROBOT_KINDS = ['dingtalk', 'feishu', 'wecom'] as const;
export type RobotKind = (typeof ROBOT_KINDS)[number];

/**
 * One robot: Alertmanager's webhook posts to `path` on the relay, which posts to the robot's URL.
 * The URL (it carries the robot's token) and the signing secret are files from a Secret the user
 * owns, read at each delivery so that a rotated Secret takes effect without a restart.
 */
export interface RelayTarget {
  readonly path: string;
  readonly kind: RobotKind;
  readonly urlFile: string;
  /** Signs requests (DingTalk "加签", Feishu signature verification) with the secret in this file. */
  readonly signingSecretFile?: string;
}

/** The relay's config file: JSON, `{ "targets": [...] }`, written by synth into a ConfigMap. */
export interface RelayConfig {
  readonly targets: readonly RelayTarget[];
}

/** Reads and checks the relay's config file; bad content is an {@link InputError} (exit 2). */
export function loadRelayConfig(file: string): RelayConfig {
  const fail = (message: string): never => {
    throw new InputError([{ location: { file, line: 1, column: 1 }, path: '', message }]);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail(`cannot read the relay config: ${(e as Error).message}`);
  }
  const targets = (parsed as { targets?: unknown }).targets;
  if (!Array.isArray(targets) || !targets.length) return fail('expected { "targets": [ … ] } with at least one target');
  targets.forEach((t: Partial<RelayTarget>, i) => {
    if (typeof t.path !== 'string' || !t.path.startsWith('/')) fail(`targets[${i}].path must be a path starting with "/"`);
    if (!ROBOT_KINDS.includes(t.kind as RobotKind)) fail(`targets[${i}].kind must be one of ${ROBOT_KINDS.join(', ')}`);
    if (typeof t.urlFile !== 'string') fail(`targets[${i}].urlFile must name the file holding the robot's webhook URL`);
  });
  return { targets: targets as RelayTarget[] };
}
