/**
 * Every Grafana setting the stack sets through a `GF_<SECTION>_<KEY>` environment variable, with
 * its `grafana.ini` section and key, checked against Grafana 13.1.3 (src/model/images.ts). Grafana
 * maps `GF_<SECTION>_<KEY>` (section dots and dashes as `_`, upper case) onto the ini key; the
 * image's run.sh reads `GF_<…>__FILE` from the named file, so secrets never sit in a manifest.
 */
export interface GrafanaSetting {
  readonly section: string;
  readonly key: string;
  /** Set only through `__FILE` from a mounted Secret. */
  readonly secret?: boolean;
  readonly source: string;
}

const DEFAULTS_INI = 'https://github.com/grafana/grafana/blob/v13.1.3/conf/defaults.ini';
const CONFIGURE = 'https://grafana.com/docs/grafana/v13.1/setup-grafana/configure-grafana/';
const GENERIC_OAUTH = 'https://grafana.com/docs/grafana/v13.1/setup-grafana/configure-security/configure-authentication/generic-oauth/';
const PLUGIN_SETTINGS = 'https://github.com/grafana/grafana/blob/v13.1.3/pkg/setting/setting_plugins.go';
const RUN_SH = 'https://github.com/grafana/grafana/blob/v13.1.3/packaging/docker/run.sh';

const setting = (section: string, key: string, source: string, secret = false): GrafanaSetting => ({ section, key, source, ...(secret ? { secret } : {}) });

export const GRAFANA_SETTINGS: readonly GrafanaSetting[] = [
  // [paths]: run.sh passes GF_PATHS_* to `grafana server` as cfg:default.paths.*.
  setting('paths', 'data', RUN_SH),
  setting('paths', 'plugins', RUN_SH),
  setting('paths', 'provisioning', RUN_SH),
  setting('server', 'domain', DEFAULTS_INI),
  setting('server', 'root_url', DEFAULTS_INI),
  setting('database', 'type', DEFAULTS_INI),
  setting('database', 'host', DEFAULTS_INI),
  setting('database', 'name', DEFAULTS_INI),
  setting('database', 'user', DEFAULTS_INI),
  setting('database', 'password', DEFAULTS_INI, true),
  setting('database', 'ssl_mode', DEFAULTS_INI),
  setting('analytics', 'reporting_enabled', DEFAULTS_INI),
  setting('analytics', 'check_for_updates', DEFAULTS_INI),
  setting('analytics', 'check_for_plugin_updates', DEFAULTS_INI),
  setting('security', 'admin_user', DEFAULTS_INI, true),
  setting('security', 'admin_password', DEFAULTS_INI, true),
  setting('security', 'cookie_secure', DEFAULTS_INI),
  setting('snapshots', 'external_enabled', DEFAULTS_INI),
  setting('users', 'allow_sign_up', DEFAULTS_INI),
  setting('auth.anonymous', 'enabled', DEFAULTS_INI),
  setting('auth.generic_oauth', 'enabled', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'name', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'allow_sign_up', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'client_id', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'client_secret', GENERIC_OAUTH, true),
  setting('auth.generic_oauth', 'scopes', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'auth_url', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'token_url', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'api_url', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'use_pkce', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'role_attribute_path', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'role_attribute_strict', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'groups_attribute_path', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'allowed_groups', GENERIC_OAUTH),
  setting('auth.generic_oauth', 'allowed_domains', GENERIC_OAUTH),
  setting('news', 'news_feed_enabled', CONFIGURE),
  setting('plugins', 'preinstall_disabled', PLUGIN_SETTINGS),
  setting('plugins', 'public_key_retrieval_disabled', PLUGIN_SETTINGS),
  setting('unified_alerting', 'ha_peers', DEFAULTS_INI),
  setting('unified_alerting', 'ha_listen_address', DEFAULTS_INI),
  setting('unified_alerting', 'ha_advertise_address', DEFAULTS_INI),
];

/** `GF_<SECTION>_<KEY>`: Grafana's environment override of an ini key. */
export function grafanaEnvName(s: Pick<GrafanaSetting, 'section' | 'key'>): string {
  return `GF_${s.section.replace(/[.-]/g, '_')}_${s.key}`.toUpperCase();
}

const BY_ENV = new Map(GRAFANA_SETTINGS.map((s) => [grafanaEnvName(s), s]));

/** The setting an environment variable sets (its `__FILE` form included); undefined for a name Grafana does not know. */
export function grafanaSettingOf(envName: string): GrafanaSetting | undefined {
  return BY_ENV.get(envName.replace(/__FILE$/, ''));
}
