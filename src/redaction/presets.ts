/**
 * Redaction presets: RE2 patterns (Go's regexp, as the collector runs them) for the kinds of
 * personal data and secrets that end up in logs and spans. A pattern is the secret itself, with
 * optional context around it (`before`, `after`) that must match but is kept: `Bearer ` stays, the
 * token goes. Every group inside a pattern is non-capturing: the statements number their own.
 *
 * What a regular expression cannot know is said in the README ("Redaction"): a 16-digit order id
 * passes the card pattern (no Luhn check), an upper-case reference can look like an IBAN.
 */
export interface PresetPattern {
  /** Context before the secret, kept (e.g. `Bearer `). */
  readonly before?: string;
  /** What is redacted. */
  readonly secret: string;
  /** Context after the secret, kept (e.g. the `@` of `user:pass@host`). */
  readonly after?: string;
}

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly patterns: readonly PresetPattern[];
  /** Samples each pattern must redact (the README table and the corpus tests show them). */
  readonly catches: readonly string[];
  /** Look-alikes that must pass unchanged. */
  readonly leaves: readonly string[];
  /** In the default preset set (all but `ip`, which is opt-in). */
  readonly byDefault: boolean;
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])';
const HEX4 = '[0-9A-Fa-f]{1,4}';
const PEM = '(?:[A-Z0-9]+ )*PRIVATE KEY-----';
const KEY_MATERIAL = '[A-Za-z0-9+/=\\s\\\\:,-]';

/** In the order they run: longer, more specific secrets first, so that a JWT is not half an IBAN and an identity card number not a card number. */
export const PRESETS: readonly Preset[] = [
  {
    name: 'private-key',
    description: 'PEM private key blocks (RSA, EC, OpenSSH, PKCS#8, encrypted), to the END line, or to the end of the key material when the block is cut short',
    // Key material: base64, line breaks (raw or escaped as \\n in JSON text) and encrypted-PEM headers;
    // a block cut short stops at the first other character, so that it does not eat a JSON body's end.
    patterns: [{ secret: `-----BEGIN ${PEM}(?:${KEY_MATERIAL}*?-----END ${PEM}|${KEY_MATERIAL}*)` }],
    catches: ['-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7x\n-----END RSA PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADAN'],
    leaves: ['-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----', '-----BEGIN PUBLIC KEY-----'],
    byDefault: true,
  },
  {
    name: 'jwt',
    description: 'JSON Web Tokens: three base64url parts, the first a JSON header (`eyJ`)',
    patterns: [{ secret: '\\beyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*' }],
    catches: ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk'],
    leaves: ['eyJhbGciOiJIUzI1NiJ9', 'version 1.2.3'],
    byDefault: true,
  },
  {
    name: 'authorization',
    description: 'Bearer, Basic and Digest credentials (the `Authorization` header); the scheme is kept. A credential needs a digit, an upper-case letter or `+/=` after its first character',
    patterns: [{ before: '(?i)\\b(?:bearer|basic|digest)\\s+', secret: '[A-Za-z0-9._~+/-]+[A-Z0-9+/=][A-Za-z0-9._~+/=-]*' }],
    catches: ['Bearer mF_9.B5f-4.1JqM', 'Basic dXNlcjpwYXNz', 'authorization: bearer 7a3c9e1f2b'],
    leaves: ['basic authentication is disabled', 'bearer token missing'],
    byDefault: true,
  },
  {
    name: 'url-credentials',
    description: 'passwords in URLs (`scheme://user:password@host`) and secret query parameters (`token=`, `access_token=`, `password=`, `passwd=`, `pwd=`, `secret=`, `client_secret=`, `api_key=`, `apikey=`, `api-key=`); the parameter name is kept',
    patterns: [
      { before: '\\b[A-Za-z][A-Za-z0-9+.-]*://[^/\\s:@\\[]+:', secret: '[^/\\s@\\[]+', after: '@' },
      { before: '(?i)[?&;](?:access_token|token|password|passwd|pwd|client_secret|secret|api_key|apikey|api-key)=', secret: '[^&;#\\s"\'\\[]+' },
    ],
    catches: ['postgres://app:s3cr3t@db.internal:5432/shop', 'https://api.example.com/v1/orders?id=7&api_key=AbC123xyz', '/callback?code=1&access_token=ya29.a0Af'],
    leaves: ['https://example.com/path?page=2&sort=asc', 'redis://cache:6379/0', 'token=none (no query)'],
    byDefault: true,
  },
  {
    name: 'cloud-keys',
    description: 'AWS access key ids (`AKIA…`, `ASIA…`), AWS secret keys after `aws_secret_access_key`, Alibaba Cloud AccessKey ids (`LTAI…`)',
    patterns: [
      { secret: '\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b' },
      { before: '(?i)aws_secret_access_key["\']?\\s*[:=]\\s*["\']?', secret: '[A-Za-z0-9/+]{40}' },
      { secret: '\\bLTAI[A-Za-z0-9]{12,20}\\b' },
    ],
    catches: ['AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'LTAI5tQ8pZmN3xYvR7k2Wb9c'],
    leaves: ['AKIA', 'LTAI is a prefix'],
    byDefault: true,
  },
  {
    name: 'email',
    description: 'e-mail addresses with a dotted domain',
    patterns: [{ secret: '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}' }],
    catches: ['jane.doe+shop@example.com', 'ops@mail.example.co.uk'],
    leaves: ['root@localhost', '@jane on chat', 'user@host'],
    byDefault: true,
  },
  {
    name: 'iban',
    description: 'IBANs: country code, two check digits, 11 to 30 letters or digits, compact or in groups of four',
    patterns: [{ secret: '\\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\\b' }],
    catches: ['DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432'],
    leaves: ['DE89', 'ISO 8601', 'de89370400440532013000'],
    byDefault: true,
  },
  {
    name: 'cn-resident-id',
    description: 'mainland China resident identity card numbers: 18 characters, a birth date (19xx/20xx), the last a digit or X',
    patterns: [{ secret: '\\b[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]\\b' }],
    catches: ['11010519491231002X', '440524188001010014'],
    leaves: ['123456789012345678', '11010519491331002X'],
    byDefault: true,
  },
  {
    name: 'payment-card',
    description: 'card numbers: 13 to 19 digits, first digit 2-6 (Visa, Mastercard, Amex, Discover, UnionPay `62…`), single spaces or dashes between digits allowed; no Luhn check',
    patterns: [{ secret: '\\b[2-6][0-9](?:[ -]?[0-9]){11,17}\\b' }],
    catches: ['4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005', '6212345678901232'],
    leaves: ['1700000000000', '4111 1111', '2024-05-01 12:00:00', '4bf92f3577b34da6a3ce929d0e0e4736'],
    byDefault: true,
  },
  {
    name: 'cn-mobile',
    description: 'mainland China mobile numbers: 11 digits starting 13-19, optionally after +86 or 86',
    patterns: [{ secret: '(?:\\+86[- ]?|\\b86[- ]?|\\b)1[3-9][0-9]{9}\\b' }],
    catches: ['13812345678', '+86 13900000000', '+8615912345678'],
    leaves: ['12345678901', '1381234567', '1700000000000'],
    byDefault: true,
  },
  {
    name: 'ip',
    description: 'IPv4 and IPv6 addresses (opt-in: addresses are often what an operator needs)',
    patterns: [
      { secret: `\\b(?:${OCTET}\\.){3}${OCTET}\\b` },
      { secret: `\\b(?:${HEX4}:){7}${HEX4}\\b|\\b(?:${HEX4}:){1,7}:(?:${HEX4}(?::${HEX4}){0,6}\\b)?` },
    ],
    catches: ['10.0.12.7', '2001:db8:85a3:0:0:8a2e:370:7334', 'fe80::1ff:fe23:4567:890a'],
    leaves: ['v1.2.3', '12:30:45', '999.1.1.1'],
    byDefault: false,
  },
];

export const PRESET_NAMES = PRESETS.map((p) => p.name);

/** The default preset set: every preset but the opt-in ones. */
export const DEFAULT_PRESETS: readonly string[] = PRESETS.filter((p) => p.byDefault).map((p) => p.name);

export function preset(name: string): Preset {
  const found = PRESETS.find((p) => p.name === name);
  if (!found) throw new Error(`unknown redaction preset "${name}"`);
  return found;
}
