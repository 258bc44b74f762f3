import { describe, expect, it } from 'vitest';
import {
  effectivePolicyTypes,
  ipInBlock,
  isAllowed,
  matchesLabelSelector,
  type Connection,
  type Endpoint,
  type ExternalEndpoint,
  type IPBlock,
  type LabelSelector,
  type NetworkPolicyObject,
  type NetworkPolicySpec,
  type PodEndpoint,
  type PolicyType,
  type Verdict,
} from '../src/policy/network-policy-eval.ts';

// Table tests for the NetworkPolicy evaluator. Every case names the section of
// https://kubernetes.io/docs/concepts/services-networking/network-policies/ (or the NetworkPolicy API reference
// it links) that it comes from, and the tables mix allowed and denied outcomes so a constant answer fails.

const DOC = 'network-policies';

const pod = (namespace: string, labels: Record<string, string> = {}, namespaceLabels: Record<string, string> = {}, ip?: string): PodEndpoint => ({
  kind: 'pod',
  namespace,
  labels,
  namespaceLabels,
  ...(ip === undefined ? {} : { ip }),
});
const external = (ip: string): ExternalEndpoint => ({ kind: 'external', ip });
const policy = (name: string, spec: NetworkPolicySpec, namespace = 'default'): NetworkPolicyObject => ({
  metadata: { name, namespace },
  spec,
});
const conn = (from: Endpoint, to: Endpoint, port: number, extra: Partial<Connection> = {}): Connection => ({ from, to, port, ...extra });

const NOT_ISOLATED: Verdict = { kind: 'not-isolated' };
const EXTERNAL: Verdict = { kind: 'external' };
const allowedBy = (...names: string[]): Verdict => ({ kind: 'allowed-by', policies: names.map((n) => `default/${n}`) });
const deniedBy = (...names: string[]): Verdict => ({ kind: 'denied', isolatedBy: names.map((n) => `default/${n}`) });

// The "NetworkPolicy resource" example, verbatim.
const testNetworkPolicy = policy('test-network-policy', {
  podSelector: { matchLabels: { role: 'db' } },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [
    {
      from: [
        { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
        { namespaceSelector: { matchLabels: { project: 'myproject' } } },
        { podSelector: { matchLabels: { role: 'frontend' } } },
      ],
      ports: [{ protocol: 'TCP', port: 6379 }],
    },
  ],
  egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
});

// "Default policies" section.
const defaultDenyIngress = policy('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
const allowAllIngress = policy('allow-all-ingress', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] });
const defaultDenyEgress = policy('default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
const allowAllEgress = policy('allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] });
const defaultDenyAll = policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

// "Behavior of to and from selectors": one element ANDs the selectors, two elements OR them.
const dbSelector: LabelSelector = { matchLabels: { role: 'db' } };
const andPolicy = policy('and', {
  podSelector: dbSelector,
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { user: 'alice' } }, podSelector: { matchLabels: { role: 'client' } } }] }],
});
const orPolicy = policy('or', {
  podSelector: dbSelector,
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { user: 'alice' } } }, { podSelector: { matchLabels: { role: 'client' } } }] }],
});

// "Targeting a range of ports", verbatim.
const multiPortEgress = policy('multi-port-egress', {
  podSelector: dbSelector,
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
});

const db = pod('default', { role: 'db' });
const frontend = pod('default', { role: 'frontend' });
const web = pod('default', { app: 'web' });
const other = pod('other', { app: 'x' });
const aliceClient = pod('alice', { role: 'client' }, { user: 'alice' });
const aliceOther = pod('alice', { role: 'other' }, { user: 'alice' });
const bobClient = pod('bob', { role: 'client' }, { user: 'bob' });
const defaultClient = pod('default', { role: 'client' });

interface Case {
  /** The documentation section the case comes from. */
  doc: string;
  name: string;
  policies: NetworkPolicyObject[];
  c: Connection;
  allowed: boolean;
  egress?: Verdict;
  ingress?: Verdict;
}

const cases: Case[] = [
  // --- "NetworkPolicy resource": test-network-policy, ingress side (destination db:6379).
  { doc: `${DOC}#networkpolicy-resource`, name: 'ipBlock admits an external IP inside 172.17.0.0/16', policies: [testNetworkPolicy], c: conn(external('172.17.0.5'), db, 6379), allowed: true, egress: EXTERNAL, ingress: allowedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'ipBlock except 172.17.1.0/24 rejects an IP in the hole', policies: [testNetworkPolicy], c: conn(external('172.17.1.5'), db, 6379), allowed: false, egress: EXTERNAL, ingress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'ipBlock rejects an external IP outside the CIDR', policies: [testNetworkPolicy], c: conn(external('172.18.0.1'), db, 6379), allowed: false, ingress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'namespaceSelector project=myproject admits any pod of that namespace', policies: [testNetworkPolicy], c: conn(pod('myproject', { any: 'thing' }, { project: 'myproject' }), db, 6379), allowed: true, egress: NOT_ISOLATED, ingress: allowedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'podSelector role=frontend admits frontends of the policy namespace', policies: [testNetworkPolicy], c: conn(frontend, db, 6379), allowed: true, egress: NOT_ISOLATED, ingress: allowedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'podSelector alone does not admit frontends of another namespace', policies: [testNetworkPolicy], c: conn(pod('other', { role: 'frontend' }), db, 6379), allowed: false, ingress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'a pod matching no peer is denied', policies: [testNetworkPolicy], c: conn(web, db, 6379), allowed: false, ingress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'port 6380 is not in ports', policies: [testNetworkPolicy], c: conn(frontend, db, 6380), allowed: false, ingress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'UDP 6379 does not match a TCP port', policies: [testNetworkPolicy], c: conn(frontend, db, 6379, { protocol: 'UDP' }), allowed: false, ingress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'a pod whose IP the caller puts in the ipBlock matches it', policies: [testNetworkPolicy], c: conn(pod('default', { app: 'web' }, {}, '172.17.0.9'), db, 6379), allowed: true, ingress: allowedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'a pod IP in the except range does not match the ipBlock', policies: [testNetworkPolicy], c: conn(pod('default', { app: 'web' }, {}, '172.17.1.9'), db, 6379), allowed: false, ingress: deniedBy('test-network-policy') },
  // --- test-network-policy, egress side (source db).
  { doc: `${DOC}#networkpolicy-resource`, name: 'egress to 10.0.0.0/24 on TCP 5978 is allowed', policies: [testNetworkPolicy], c: conn(db, external('10.0.0.7'), 5978), allowed: true, egress: allowedBy('test-network-policy'), ingress: EXTERNAL },
  { doc: `${DOC}#networkpolicy-resource`, name: 'egress to 10.0.0.0/24 on another port is denied', policies: [testNetworkPolicy], c: conn(db, external('10.0.0.7'), 80), allowed: false, egress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'egress outside 10.0.0.0/24 is denied', policies: [testNetworkPolicy], c: conn(db, external('10.0.1.7'), 5978), allowed: false, egress: deniedBy('test-network-policy') },
  { doc: `${DOC}#networkpolicy-resource`, name: 'egress to a pod without a known IP never matches an ipBlock', policies: [testNetworkPolicy], c: conn(db, frontend, 5978), allowed: false, egress: deniedBy('test-network-policy'), ingress: NOT_ISOLATED },
  { doc: `${DOC}#networkpolicy-resource`, name: 'egress allowed but the destination ingress denies: the connection is denied', policies: [testNetworkPolicy], c: conn(db, pod('default', { role: 'db' }, {}, '10.0.0.8'), 5978), allowed: false, egress: allowedBy('test-network-policy'), ingress: deniedBy('test-network-policy') },

  // --- "Default policies".
  { doc: `${DOC}#default-deny-all-ingress-traffic`, name: 'isolates every pod of the namespace for ingress', policies: [defaultDenyIngress], c: conn(other, web, 80), allowed: false, egress: NOT_ISOLATED, ingress: deniedBy('default-deny-ingress') },
  { doc: `${DOC}#default-deny-all-ingress-traffic`, name: 'denies external ingress too', policies: [defaultDenyIngress], c: conn(external('203.0.113.1'), web, 443), allowed: false, ingress: deniedBy('default-deny-ingress') },
  { doc: `${DOC}#default-deny-all-ingress-traffic`, name: 'does not affect egress', policies: [defaultDenyIngress], c: conn(web, external('203.0.113.1'), 443), allowed: true, egress: NOT_ISOLATED, ingress: EXTERNAL },
  { doc: `${DOC}#default-deny-all-ingress-traffic`, name: 'does not select pods of other namespaces', policies: [defaultDenyIngress], c: conn(web, other, 80), allowed: true, egress: NOT_ISOLATED, ingress: NOT_ISOLATED },
  { doc: `${DOC}#allow-all-ingress-traffic`, name: 'ingress: [{}] added to a default deny allows everything (additive)', policies: [defaultDenyIngress, allowAllIngress], c: conn(other, web, 80), allowed: true, ingress: allowedBy('allow-all-ingress') },
  { doc: `${DOC}#allow-all-ingress-traffic`, name: 'an empty rule also admits external sources on any port', policies: [defaultDenyIngress, allowAllIngress], c: conn(external('198.51.100.7'), web, 31337, { protocol: 'UDP' }), allowed: true, ingress: allowedBy('allow-all-ingress') },
  { doc: `${DOC}#default-deny-all-egress-traffic`, name: 'denies egress to external IPs', policies: [defaultDenyEgress], c: conn(web, external('8.8.8.8'), 53, { protocol: 'UDP' }), allowed: false, egress: deniedBy('default-deny-egress'), ingress: EXTERNAL },
  { doc: `${DOC}#default-deny-all-egress-traffic`, name: 'denies egress to pods elsewhere even when they accept it', policies: [defaultDenyEgress], c: conn(web, other, 80), allowed: false, egress: deniedBy('default-deny-egress'), ingress: NOT_ISOLATED },
  { doc: `${DOC}#default-deny-all-egress-traffic`, name: 'does not affect ingress', policies: [defaultDenyEgress], c: conn(other, web, 80), allowed: true, egress: NOT_ISOLATED, ingress: NOT_ISOLATED },
  { doc: `${DOC}#allow-all-egress-traffic`, name: 'egress: [{}] added to a default deny allows everything (additive)', policies: [defaultDenyEgress, allowAllEgress], c: conn(web, external('8.8.8.8'), 53, { protocol: 'UDP' }), allowed: true, egress: allowedBy('allow-all-egress') },
  { doc: `${DOC}#default-deny-all-ingress-and-all-egress-traffic`, name: 'denies pod-to-pod traffic inside the namespace on both sides', policies: [defaultDenyAll], c: conn(frontend, db, 6379), allowed: false, egress: deniedBy('default-deny-all'), ingress: deniedBy('default-deny-all') },
  { doc: `${DOC}#default-deny-all-ingress-and-all-egress-traffic`, name: 'denies egress to the outside', policies: [defaultDenyAll], c: conn(web, external('1.1.1.1'), 443), allowed: false, egress: deniedBy('default-deny-all') },
  { doc: `${DOC}#default-deny-all-ingress-and-all-egress-traffic`, name: 'leaves other namespaces alone', policies: [defaultDenyAll], c: conn(other, pod('other', { app: 'y' }), 80), allowed: true, egress: NOT_ISOLATED, ingress: NOT_ISOLATED },
  { doc: `${DOC}#isolated-and-non-isolated-pods`, name: 'with no policies at all everything is allowed', policies: [], c: conn(other, db, 1), allowed: true, egress: NOT_ISOLATED, ingress: NOT_ISOLATED },
  { doc: `${DOC}#isolated-and-non-isolated-pods`, name: 'allowing both sides explicitly needs an egress AND an ingress rule', policies: [defaultDenyAll, allowAllEgress, policy('db-from-frontend', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }] }] })], c: conn(frontend, db, 6379), allowed: true, egress: allowedBy('allow-all-egress'), ingress: allowedBy('db-from-frontend') },

  // --- "Behavior of to and from selectors".
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'AND: client pod in an alice namespace is allowed', policies: [andPolicy], c: conn(aliceClient, db, 5432), allowed: true, ingress: allowedBy('and') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'AND: non-client pod in an alice namespace is denied', policies: [andPolicy], c: conn(aliceOther, db, 5432), allowed: false, ingress: deniedBy('and') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'AND: client pod outside alice namespaces is denied', policies: [andPolicy], c: conn(defaultClient, db, 5432), allowed: false, ingress: deniedBy('and') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'OR: any pod in an alice namespace is allowed', policies: [orPolicy], c: conn(aliceOther, db, 5432), allowed: true, ingress: allowedBy('or') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'OR: a client pod of the policy namespace is allowed', policies: [orPolicy], c: conn(defaultClient, db, 5432), allowed: true, ingress: allowedBy('or') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'OR: a client pod of a non-alice namespace is denied', policies: [orPolicy], c: conn(bobClient, db, 5432), allowed: false, ingress: deniedBy('or') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'namespaceSelector: {} selects pods of every namespace', policies: [policy('all-ns', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: {} }] }] })], c: conn(bobClient, db, 5432), allowed: true, ingress: allowedBy('all-ns') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'namespaceSelector: {} still selects no external endpoint', policies: [policy('all-ns', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: {} }] }] })], c: conn(external('10.1.2.3'), db, 5432), allowed: false, ingress: deniedBy('all-ns') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'namespaceSelector: {} AND podSelector: matching pod anywhere', policies: [policy('monitoring', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'prometheus' } } }] }] })], c: conn(pod('obs', { app: 'prometheus' }), db, 9187), allowed: true, ingress: allowedBy('monitoring') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'namespaceSelector: {} AND podSelector: non-matching pod denied', policies: [policy('monitoring', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'prometheus' } } }] }] })], c: conn(pod('obs', { app: 'grafana' }), db, 9187), allowed: false, ingress: deniedBy('monitoring') },
  { doc: `${DOC}#targeting-a-namespace-by-its-name`, name: 'kubernetes.io/metadata.name matches the namespace name without explicit labels', policies: [policy('by-name', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'obs' } } }] }] })], c: conn(pod('obs'), db, 5432), allowed: true, ingress: allowedBy('by-name') },
  { doc: `${DOC}#targeting-a-namespace-by-its-name`, name: 'kubernetes.io/metadata.name cannot be spoofed by a namespace label', policies: [policy('by-name', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'obs' } } }] }] })], c: conn(pod('evil', {}, { 'kubernetes.io/metadata.name': 'obs' }), db, 5432), allowed: false, ingress: deniedBy('by-name') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'matchExpressions In on namespace names admits a listed namespace', policies: [policy('in', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['prod', 'staging'] }] } }] }] })], c: conn(pod('staging'), db, 5432), allowed: true, ingress: allowedBy('in') },
  { doc: `${DOC}#behavior-of-to-and-from-selectors`, name: 'matchExpressions In on namespace names rejects an unlisted namespace', policies: [policy('in', { podSelector: dbSelector, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['prod', 'staging'] }] } }] }] })], c: conn(pod('dev'), db, 5432), allowed: false, ingress: deniedBy('in') },

  // --- "Targeting a range of ports" (multi-port-egress).
  { doc: `${DOC}#targeting-a-range-of-ports`, name: 'port 32000 (range start) is allowed', policies: [multiPortEgress], c: conn(db, external('10.0.0.1'), 32000), allowed: true, egress: allowedBy('multi-port-egress') },
  { doc: `${DOC}#targeting-a-range-of-ports`, name: 'port 32400 (inside) is allowed', policies: [multiPortEgress], c: conn(db, external('10.0.0.1'), 32400), allowed: true, egress: allowedBy('multi-port-egress') },
  { doc: `${DOC}#targeting-a-range-of-ports`, name: 'port 32768 (endPort, inclusive) is allowed', policies: [multiPortEgress], c: conn(db, external('10.0.0.1'), 32768), allowed: true, egress: allowedBy('multi-port-egress') },
  { doc: `${DOC}#targeting-a-range-of-ports`, name: 'port 31999 (below) is denied', policies: [multiPortEgress], c: conn(db, external('10.0.0.1'), 31999), allowed: false, egress: deniedBy('multi-port-egress') },
  { doc: `${DOC}#targeting-a-range-of-ports`, name: 'port 32769 (above) is denied', policies: [multiPortEgress], c: conn(db, external('10.0.0.1'), 32769), allowed: false, egress: deniedBy('multi-port-egress') },
  { doc: `${DOC}#targeting-a-range-of-ports`, name: 'only Egress in policyTypes: ingress to the same pod is not isolated', policies: [multiPortEgress], c: conn(external('10.0.0.1'), db, 1), allowed: true, egress: EXTERNAL, ingress: NOT_ISOLATED },

  // --- NetworkPolicyPort (API reference linked from the page): named ports and protocol defaulting.
  { doc: `${DOC} NetworkPolicyPort.port (named)`, name: 'a named port matches the destination container port of that name', policies: [policy('named', { podSelector: {}, ingress: [{ ports: [{ port: 'metrics' }] }] })], c: conn(other, web, 9090, { portName: 'metrics' }), allowed: true, ingress: allowedBy('named') },
  { doc: `${DOC} NetworkPolicyPort.port (named)`, name: 'a named port does not match a differently named port', policies: [policy('named', { podSelector: {}, ingress: [{ ports: [{ port: 'metrics' }] }] })], c: conn(other, web, 9090, { portName: 'http' }), allowed: false, ingress: deniedBy('named') },
  { doc: `${DOC} NetworkPolicyPort.port (named)`, name: 'a named port does not match an unnamed port number', policies: [policy('named', { podSelector: {}, ingress: [{ ports: [{ port: 'metrics' }] }] })], c: conn(other, web, 9090), allowed: false, ingress: deniedBy('named') },
  { doc: `${DOC} NetworkPolicyPort.protocol`, name: 'protocol without port matches every port of that protocol', policies: [policy('dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP' }] }] })], c: conn(web, external('8.8.8.8'), 53, { protocol: 'UDP' }), allowed: true, egress: allowedBy('dns') },
  { doc: `${DOC} NetworkPolicyPort.protocol`, name: 'protocol without port still excludes other protocols', policies: [policy('dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP' }] }] })], c: conn(web, external('8.8.8.8'), 53), allowed: false, egress: deniedBy('dns') },
  { doc: `${DOC} NetworkPolicyPort.protocol`, name: 'protocol defaults to TCP in the rule and the connection', policies: [policy('tcp53', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53 }] }] })], c: conn(web, external('8.8.8.8'), 53), allowed: true, egress: allowedBy('tcp53') },
  { doc: `${DOC} NetworkPolicyPort.protocol`, name: 'a defaulted-TCP rule does not match UDP', policies: [policy('tcp53', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53 }] }] })], c: conn(web, external('8.8.8.8'), 53, { protocol: 'UDP' }), allowed: false, egress: deniedBy('tcp53') },
  { doc: `${DOC} NetworkPolicyIngressRule`, name: 'empty ports and from lists match everything', policies: [policy('empty-lists', { podSelector: {}, ingress: [{ from: [], ports: [] }] })], c: conn(external('192.0.2.1'), web, 12345, { protocol: 'SCTP' }), allowed: true, ingress: allowedBy('empty-lists') },

  // --- policyTypes defaulting (NetworkPolicySpec.policyTypes, and the page's "policyTypes" field notes).
  { doc: `${DOC}#networkpolicy-resource (policyTypes)`, name: 'no policyTypes and no egress rules: egress is not isolated', policies: [policy('ingress-only', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }] }] })], c: conn(db, external('8.8.8.8'), 443), allowed: true, egress: NOT_ISOLATED },
  { doc: `${DOC}#networkpolicy-resource (policyTypes)`, name: 'no policyTypes but egress rules: egress is isolated', policies: [policy('egress-rules', { podSelector: dbSelector, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] })], c: conn(db, external('8.8.8.8'), 443), allowed: false, egress: deniedBy('egress-rules') },
  { doc: `${DOC}#networkpolicy-resource (policyTypes)`, name: 'no policyTypes but egress rules: allowed egress still passes', policies: [policy('egress-rules', { podSelector: dbSelector, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] })], c: conn(db, external('10.9.8.7'), 443), allowed: true, egress: allowedBy('egress-rules') },
  { doc: `${DOC}#networkpolicy-resource (policyTypes)`, name: 'no policyTypes but egress rules: Ingress is implied, so ingress is denied', policies: [policy('egress-rules', { podSelector: dbSelector, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] })], c: conn(frontend, db, 5432), allowed: false, egress: NOT_ISOLATED, ingress: deniedBy('egress-rules') },
  { doc: `${DOC}#networkpolicy-resource (policyTypes)`, name: 'policyTypes [Egress] ignores ingress rules', policies: [policy('egress-typed', { podSelector: dbSelector, policyTypes: ['Egress'], ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] })], c: conn(external('8.8.8.8'), db, 5432), allowed: true, ingress: NOT_ISOLATED },

  // --- Additivity ("Isolated and non-isolated Pods": policies do not conflict, they are additive).
  { doc: `${DOC}#isolated-and-non-isolated-pods`, name: 'union: the first of two policies admits', policies: [policy('from-frontend', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }] }] }), policy('from-web', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })], c: conn(frontend, db, 5432), allowed: true, ingress: allowedBy('from-frontend') },
  { doc: `${DOC}#isolated-and-non-isolated-pods`, name: 'union: the second of two policies admits', policies: [policy('from-frontend', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }] }] }), policy('from-web', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })], c: conn(web, db, 5432), allowed: true, ingress: allowedBy('from-web') },
  { doc: `${DOC}#isolated-and-non-isolated-pods`, name: 'union: neither policy admits, both are reported', policies: [policy('from-frontend', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }] }] }), policy('from-web', { podSelector: dbSelector, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })], c: conn(other, db, 5432), allowed: false, ingress: deniedBy('from-frontend', 'from-web') },
  { doc: `${DOC}#isolated-and-non-isolated-pods`, name: 'union: every admitting policy is reported', policies: [testNetworkPolicy, allowAllIngress], c: conn(frontend, db, 6379), allowed: true, ingress: allowedBy('test-network-policy', 'allow-all-ingress') },
  { doc: `${DOC}#isolated-and-non-isolated-pods`, name: 'a policy in another namespace does not isolate this one', policies: [policy('deny-other', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'other')], c: conn(frontend, db, 6379), allowed: true, egress: NOT_ISOLATED, ingress: NOT_ISOLATED },

  // --- IPv6 ipBlock (IPBlock.cidr accepts both families).
  { doc: `${DOC} IPBlock`, name: 'IPv6: inside 2001:db8::/32 is allowed', policies: [policy('v6', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }] }] })], c: conn(web, external('2001:db8::1'), 443), allowed: true, egress: allowedBy('v6') },
  { doc: `${DOC} IPBlock`, name: 'IPv6: inside the except /48 is denied', policies: [policy('v6', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }] }] })], c: conn(web, external('2001:db8:1::5'), 443), allowed: false, egress: deniedBy('v6') },
  { doc: `${DOC} IPBlock`, name: 'IPv6 block does not match an IPv4 address', policies: [policy('v6', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '2001:db8::/32' } }] }] })], c: conn(web, external('32.1.13.184'), 443), allowed: false, egress: deniedBy('v6') },
];

describe('isAllowed (table from the Kubernetes NetworkPolicy documentation)', () => {
  it.each(cases)('[$doc] $name', ({ policies, c, allowed, egress, ingress }) => {
    const decision = isAllowed(policies, c);
    // The whole decision is in the message so a failure shows which side decided and why.
    expect(decision.allowed, JSON.stringify(decision)).toBe(allowed);
    if (egress) expect(decision.egress).toEqual(egress);
    if (ingress) expect(decision.ingress).toEqual(ingress);
  });

  it('the table has both outcomes', () => {
    expect(cases.some((x) => x.allowed)).toBe(true);
    expect(cases.some((x) => !x.allowed)).toBe(true);
  });
});

describe('matchesLabelSelector (LabelSelector semantics)', () => {
  const labels = { app: 'web', tier: 'frontend' };
  it.each<{ name: string; selector: LabelSelector; labels: Record<string, string>; matches: boolean }>([
    { name: 'empty selector matches everything', selector: {}, labels, matches: true },
    { name: 'empty selector matches no labels', selector: {}, labels: {}, matches: true },
    { name: 'matchLabels all present', selector: { matchLabels: { app: 'web', tier: 'frontend' } }, labels, matches: true },
    { name: 'matchLabels one differs', selector: { matchLabels: { app: 'web', tier: 'backend' } }, labels, matches: false },
    { name: 'In: value listed', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'edge'] }] }, labels, matches: true },
    { name: 'In: value not listed', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] }, labels, matches: false },
    { name: 'In: key absent', selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, labels, matches: false },
    { name: 'NotIn: value listed', selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }] }, labels, matches: false },
    { name: 'NotIn: value not listed', selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['backend'] }] }, labels, matches: true },
    { name: 'NotIn: key absent matches', selector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels, matches: true },
    { name: 'Exists: present', selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels, matches: true },
    { name: 'Exists: absent', selector: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels, matches: false },
    { name: 'DoesNotExist: absent', selector: { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels, matches: true },
    { name: 'DoesNotExist: present', selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels, matches: false },
    { name: 'matchLabels AND matchExpressions: both hold', selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels, matches: true },
    { name: 'matchLabels AND matchExpressions: expression fails', selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels, matches: false },
    { name: 'matchLabels AND matchExpressions: label fails', selector: { matchLabels: { app: 'db' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels, matches: false },
  ])('$name', ({ selector, labels: l, matches }) => {
    expect(matchesLabelSelector(selector, l)).toBe(matches);
  });
});

describe('ipInBlock (IPBlock semantics)', () => {
  const docBlock: IPBlock = { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] };
  it.each<{ name: string; ip: string; block: IPBlock; inside: boolean }>([
    { name: 'doc block: start of range', ip: '172.17.0.0', block: docBlock, inside: true },
    { name: 'doc block: end of range', ip: '172.17.255.255', block: docBlock, inside: true },
    { name: 'doc block: start of except', ip: '172.17.1.0', block: docBlock, inside: false },
    { name: 'doc block: end of except', ip: '172.17.1.255', block: docBlock, inside: false },
    { name: 'doc block: just after except', ip: '172.17.2.0', block: docBlock, inside: true },
    { name: 'doc block: just outside', ip: '172.16.255.255', block: docBlock, inside: false },
    { name: '/32 matches only itself', ip: '10.0.0.1', block: { cidr: '10.0.0.1/32' }, inside: true },
    { name: '/32 rejects a neighbour', ip: '10.0.0.2', block: { cidr: '10.0.0.1/32' }, inside: false },
    { name: '0.0.0.0/0 matches any IPv4', ip: '203.0.113.9', block: { cidr: '0.0.0.0/0' }, inside: true },
    { name: 'IPv6 compressed form', ip: '2001:db8:0:0:0:0:0:1', block: { cidr: '2001:db8::/64' }, inside: true },
    { name: 'IPv6 outside', ip: '2001:db9::1', block: { cidr: '2001:db8::/32' }, inside: false },
    { name: 'IPv6 with dotted IPv4 ending', ip: '::ffff:10.1.2.3', block: { cidr: '::ffff:10.0.0.0/104' }, inside: true },
    { name: 'IPv4 address against ::/0', ip: '10.0.0.1', block: { cidr: '::/0' }, inside: false },
  ])('$name', ({ ip, block, inside }) => {
    expect(ipInBlock(ip, block)).toBe(inside);
  });

  it.each(['10.0.0.256', '10.0.0', '2001:db8:::1', 'not-an-ip'])('rejects the malformed address %s', (ip) => {
    expect(() => ipInBlock(ip, { cidr: '0.0.0.0/0' })).toThrow(/invalid IP/);
  });

  it.each(['10.0.0.0/33', '10.0.0.0', '10.0.0.0/x'])('rejects the malformed CIDR %s', (cidr) => {
    expect(() => ipInBlock('10.0.0.1', { cidr })).toThrow(/invalid CIDR/);
  });
});

describe('effectivePolicyTypes (NetworkPolicySpec.policyTypes defaulting)', () => {
  it.each<{ name: string; spec: NetworkPolicySpec; types: PolicyType[] }>([
    { name: 'nothing: Ingress', spec: { podSelector: {} }, types: ['Ingress'] },
    { name: 'ingress rules only: Ingress', spec: { podSelector: {}, ingress: [{}] }, types: ['Ingress'] },
    { name: 'egress rules: Ingress and Egress', spec: { podSelector: {}, egress: [{}] }, types: ['Ingress', 'Egress'] },
    { name: 'empty egress list: Ingress only', spec: { podSelector: {}, egress: [] }, types: ['Ingress'] },
    { name: 'empty policyTypes list is defaulted', spec: { podSelector: {}, policyTypes: [], egress: [{}] }, types: ['Ingress', 'Egress'] },
    { name: 'explicit Egress is kept as is', spec: { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }, types: ['Egress'] },
  ])('$name', ({ spec, types }) => {
    expect(effectivePolicyTypes(spec)).toEqual(types);
  });
});

describe('invalid policies are rejected, as the API server would', () => {
  it.each<{ name: string; spec: NetworkPolicySpec; error: RegExp }>([
    { name: 'ipBlock combined with a selector', spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }, error: /may not combine ipBlock/ },
    { name: 'an empty peer', spec: { podSelector: {}, ingress: [{ from: [{}] }] }, error: /needs ipBlock/ },
    { name: 'endPort with a named port', spec: { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] }, error: /endPort requires a numeric port/ },
    { name: 'In without values', spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } }, error: /needs values/ },
  ])('$name', ({ spec, error }) => {
    expect(() => isAllowed([policy('bad', spec)], conn(other, pod('default', { a: 'x' }), 80, { portName: 'http' }))).toThrow(error);
  });
});
