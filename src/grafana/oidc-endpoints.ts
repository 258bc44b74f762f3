/**
 * The OAuth endpoints of an OpenID Connect issuer, for the issuer layouts whose paths are fixed by
 * the product. Grafana's generic OAuth client takes the endpoints, not the issuer, and we do not
 * fetch `.well-known/openid-configuration` at synth time (synth is offline and deterministic).
 */
export interface OidcEndpoints {
  readonly authUrl: string;
  readonly tokenUrl: string;
  readonly apiUrl: string;
}

interface Layout {
  readonly name: string;
  readonly matches: (issuer: URL) => boolean;
  readonly endpoints: (issuer: string) => OidcEndpoints;
}

const trim = (s: string) => s.replace(/\/+$/, '');

/**
 * - Keycloak: `https://<host>/realms/<realm>` (the `/auth` prefix of Keycloak < 17 included), endpoints under `protocol/openid-connect/`.
 * - Okta: `https://<org>.okta.com/oauth2/<server>` (custom authorization server) or `https://<org>.okta.com` (org server), endpoints under `v1/`.
 * - Microsoft Entra ID: `https://login.microsoftonline.com/<tenant>/v2.0`; userinfo on Microsoft Graph.
 */
const LAYOUTS: readonly Layout[] = [
  {
    name: 'Keycloak',
    matches: (u) => /^(\/auth)?\/realms\/[^/]+\/?$/.test(u.pathname),
    endpoints: (i) => ({ authUrl: `${trim(i)}/protocol/openid-connect/auth`, tokenUrl: `${trim(i)}/protocol/openid-connect/token`, apiUrl: `${trim(i)}/protocol/openid-connect/userinfo` }),
  },
  {
    name: 'Okta',
    matches: (u) => /\.(okta|oktapreview)\.com$/.test(u.hostname) && /^(\/oauth2\/[^/]+)?\/?$/.test(u.pathname),
    endpoints: (i) => ({ authUrl: `${trim(i)}/v1/authorize`, tokenUrl: `${trim(i)}/v1/token`, apiUrl: `${trim(i)}/v1/userinfo` }),
  },
  {
    name: 'Microsoft Entra ID',
    matches: (u) => u.hostname === 'login.microsoftonline.com' && /^\/[^/]+\/v2\.0\/?$/.test(u.pathname),
    endpoints: (i) => {
      const tenant = new URL(i).pathname.split('/')[1]!;
      const base = `https://login.microsoftonline.com/${tenant}/oauth2/v2.0`;
      return { authUrl: `${base}/authorize`, tokenUrl: `${base}/token`, apiUrl: 'https://graph.microsoft.com/oidc/userinfo' };
    },
  },
];

/** Endpoints derived from the issuer, with explicitly given ones taking precedence; undefined where neither gives all three. */
export function oidcEndpoints(issuer: string, given: Partial<OidcEndpoints> = {}): OidcEndpoints | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return undefined;
  }
  const derived = LAYOUTS.find((l) => l.matches(url))?.endpoints(issuer);
  const authUrl = given.authUrl ?? derived?.authUrl;
  const tokenUrl = given.tokenUrl ?? derived?.tokenUrl;
  const apiUrl = given.apiUrl ?? derived?.apiUrl;
  return authUrl && tokenUrl && apiUrl ? { authUrl, tokenUrl, apiUrl } : undefined;
}

/** Names of the issuer layouts {@link oidcEndpoints} knows, for messages. */
export const KNOWN_ISSUER_LAYOUTS = LAYOUTS.map((l) => l.name);
