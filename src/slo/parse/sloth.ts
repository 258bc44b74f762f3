import type { SloFormat } from '../model.ts';
import { DEFAULT_PERIOD } from '../windows.ts';
import {
  checkObjective, checkQueryTemplate, eventsSli, finishSlo, oneSliKind, rawSli, readServiceSlos, readSlothAlerting, staleAck,
  type AlertingKeys, type ParseResult, type UnpairedAck,
} from './common.ts';
import { Fields } from './fields.ts';

/** The Sloth YAML spec uses snake_case keys, the Kubernetes CRD camelCase; the meaning is the same. */
interface SlothKeys {
  readonly format: SloFormat;
  readonly top: readonly string[];
  readonly sloPlugins: string;
  readonly errorQuery: string;
  readonly totalQuery: string;
  readonly errorRatioQuery: string;
  readonly alerting: AlertingKeys;
}

const SPEC_KEYS: SlothKeys = {
  format: 'prometheus/v1',
  top: ['version', 'service', 'labels', 'slo_plugins', 'slos'],
  sloPlugins: 'slo_plugins',
  errorQuery: 'error_query',
  totalQuery: 'total_query',
  errorRatioQuery: 'error_ratio_query',
  alerting: { page: 'page_alert', ticket: 'ticket_alert', extra: [], extraPerAlert: [] },
};

const CRD_KEYS: SlothKeys = {
  format: 'sloth.slok.dev/v1',
  top: ['service', 'labels', 'sloPlugins', 'slos'],
  sloPlugins: 'sloPlugins',
  errorQuery: 'errorQuery',
  totalQuery: 'totalQuery',
  errorRatioQuery: 'errorRatioQuery',
  alerting: { page: 'pageAlert', ticket: 'ticketAlert', extra: [], extraPerAlert: [] },
};

/** SLO label acknowledging an error query that reads other series than the total's; its value says why. */
export const ACK_LABEL = 'o11y_unpaired_series';

/** Sloth's own plugins whose job our generator does itself; anything else would change the output. */
const BUILT_IN_PLUGIN = /^sloth\.dev\/core\//;

/** `version: prometheus/v1` documents. */
export function parseSlothSpec(doc: Fields): ParseResult {
  return parseSloth(doc, SPEC_KEYS);
}

/** `apiVersion: sloth.slok.dev/v1, kind: PrometheusServiceLevel` documents. */
export function parseSlothCrd(doc: Fields): ParseResult {
  doc.allowOnly(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const spec = Fields.of(doc.source, ['spec'], doc.value.spec, doc.problems, 'spec');
  return spec ? parseSloth(spec, CRD_KEYS) : { slos: [], problems: doc.problems };
}

function parseSloth(spec: Fields, keys: SlothKeys): ParseResult {
  spec.allowOnly(keys.top);
  checkPlugins(spec, keys.sloPlugins);
  return readServiceSlos(spec, ['name', 'description', 'objective', 'labels', 'plugins', 'sli', 'alerting'], (slo, { name, service, serviceLabels }) => {
    checkPlugins(slo, 'plugins');
    // The acknowledgement is read from the SLO's labels and not put on the recorded series.
    const { [ACK_LABEL]: reason, ...labels } = slo.labels('labels');
    const ack: UnpairedAck = { reason, how: `the SLO label ${ACK_LABEL}: "<why>"`, problem: (m) => slo.object('labels')?.problem(ACK_LABEL, m) };
    return finishSlo(
      {
        service,
        name,
        description: slo.string('description', false) ?? '',
        objective: checkObjective(slo, 'objective', slo.number('objective')),
        period: DEFAULT_PERIOD,
        labels: { ...serviceLabels, ...labels },
        sli: readSli(slo, keys, name, ack),
        alerting: readSlothAlerting(slo, keys.alerting, DEFAULT_PERIOD),
      },
      keys.format,
      slo,
    );
  });
}

function readSli(slo: Fields, keys: SlothKeys, name: string, ack: UnpairedAck) {
  const sli = slo.object('sli');
  if (!sli) {
    slo.problem('sli', 'no SLI given: set sli.events or sli.raw');
    return undefined;
  }
  sli.allowOnly(['events', 'raw', 'plugin']);
  const kind = oneSliKind(sli, ['events', 'raw', 'plugin']);
  if (kind === 'raw') staleAck(ack, `SLO "${name}"`);
  if (kind === 'plugin') {
    sli.problem('plugin', 'SLI plugins are not supported (they run Go code): write the plugin\'s query as sli.raw or sli.events');
  } else if (kind === 'events') {
    const events = sli.object('events')?.allowOnly([keys.errorQuery, keys.totalQuery]);
    if (!events) return undefined;
    const errorQuery = checkQueryTemplate(events, keys.errorQuery, events.string(keys.errorQuery));
    const totalQuery = checkQueryTemplate(events, keys.totalQuery, events.string(keys.totalQuery));
    return eventsSli(events, keys.errorQuery, errorQuery, totalQuery, `SLO "${name}"`, ack);
  } else if (kind === 'raw') {
    const raw = sli.object('raw')?.allowOnly([keys.errorRatioQuery]);
    if (!raw) return undefined;
    return rawSli(checkQueryTemplate(raw, keys.errorRatioQuery, raw.string(keys.errorRatioQuery)));
  }
  return undefined;
}

/** Sloth's core plugins are what we replace; other plugins change the output in ways we cannot honour. */
function checkPlugins(parent: Fields, key: string): void {
  const plugins = parent.object(key);
  if (!plugins) return;
  plugins.allowOnly(['overrides', 'chain']);
  for (const item of plugins.list('chain')) {
    const plugin = Fields.of(parent.source, item.path, item.value, parent.problems, 'a plugin');
    const id = plugin?.string('id') ?? '';
    if (plugin && id && !BUILT_IN_PLUGIN.test(id)) {
      plugin.problem('id', `SLO plugin "${id}" is not supported; only Sloth's built-in sloth.dev/core/* plugins are accepted (and have no effect)`);
    }
  }
}
