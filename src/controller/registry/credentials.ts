import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from './reference.ts';

/** Basic credentials for one registry, from a Docker client config. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export type CredentialLookup = (registry: string) => RegistryCredentials | undefined;

/** Keys Docker may have used in `auths` for a registry (`docker login` writes Docker Hub as the legacy v1 URL). */
function authKeys(registry: string): string[] {
  const hosts = registry === DOCKER_HUB ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'] : [registry];
  return hosts.flatMap((h) => (h.includes('://') ? [h] : [h, `https://${h}`, `http://${h}`, `https://${h}/v1/`, `https://${h}/v2/`]));
}

/**
 * Reads `auths` of `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`). Entries hold `auth`
 * (base64 `user:password`) or `username`/`password`. Credential helpers (`credsStore`, `credHelpers`)
 * are not run: this tool never executes programs named in a config file. No file means anonymous access.
 */
export function dockerConfigCredentials(env: NodeJS.ProcessEnv = process.env): CredentialLookup {
  const file = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let auths: Record<string, { auth?: string; username?: string; password?: string }> = {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { auths?: typeof auths };
    auths = parsed.auths ?? {};
  } catch {
    // Missing or unreadable: anonymous pulls, exactly like `docker pull` without login.
  }
  return (registry) => {
    for (const key of authKeys(registry)) {
      const entry = auths[key];
      if (!entry) continue;
      if (entry.username && entry.password) return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
    }
    return undefined;
  };
}
