// Evaluates Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics for one connection, as described in
// https://kubernetes.io/docs/concepts/services-networking/network-policies/ — pure: no cluster, no I/O.
// Not modelled: node/host traffic (always allowed by the spec), loopback, and CNI-specific behaviour such as
// matching pod IPs against ipBlock (here only when the caller supplies the pod's `ip`).

/** A transport protocol, as NetworkPolicy names them. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** Which side of a connection a policy isolates. */
export type PolicyType = 'Ingress' | 'Egress';

/** One `matchExpressions` entry of a label selector. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: readonly string[];
}

/** A Kubernetes label selector; `{}` selects everything. */
export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly LabelSelectorRequirement[];
}

/** A CIDR range minus the `except` ranges inside it. */
export interface IPBlock {
  cidr: string;
  except?: readonly string[];
}

/** One `from`/`to` element: an ipBlock, or pod/namespace selectors (ANDed when both are present). */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

/** One `ports` element: a number (optionally a range up to `endPort`) or a container port name. */
export interface NetworkPolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

/** An ingress rule: traffic must match one of `from` AND one of `ports` (an absent or empty list matches all). */
export interface NetworkPolicyIngressRule {
  from?: readonly NetworkPolicyPeer[];
  ports?: readonly NetworkPolicyPort[];
}

/** An egress rule: traffic must match one of `to` AND one of `ports` (an absent or empty list matches all). */
export interface NetworkPolicyEgressRule {
  to?: readonly NetworkPolicyPeer[];
  ports?: readonly NetworkPolicyPort[];
}

/** The `spec` of a NetworkPolicy. */
export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: readonly PolicyType[];
  ingress?: readonly NetworkPolicyIngressRule[];
  egress?: readonly NetworkPolicyEgressRule[];
}

/** A NetworkPolicy manifest (only the fields evaluation needs); `metadata.namespace` defaults to `default`. */
export interface NetworkPolicyObject {
  metadata: { name: string; namespace?: string };
  spec: NetworkPolicySpec;
}

/**
 * A pod. `namespaceLabels` are its namespace's labels; `kubernetes.io/metadata.name` is added automatically,
 * as the control plane does. `ip` is only used against ipBlock peers — whether a CNI matches pod IPs there is
 * implementation-defined, so a pod without `ip` never matches an ipBlock.
 */
export interface PodEndpoint {
  kind: 'pod';
  namespace: string;
  labels: Readonly<Record<string, string>>;
  namespaceLabels: Readonly<Record<string, string>>;
  ip?: string;
}

/** Something outside the cluster: only ipBlock peers can match it, and no policy selects it. */
export interface ExternalEndpoint {
  kind: 'external';
  ip: string;
}

/** Either end of a connection. */
export type Endpoint = PodEndpoint | ExternalEndpoint;

/**
 * A connection attempt. `protocol` defaults to TCP. `portName` is the name of the destination container port
 * serving `port`, needed to match named ports in `ports`.
 */
export interface Connection {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol?: Protocol;
  portName?: string;
}

/**
 * How one side (the source's egress or the destination's ingress) decided. Policies are named `namespace/name`.
 * - `external`: that endpoint is outside the cluster, so no policy governs this side;
 * - `not-isolated`: no policy of this direction selects the pod, so everything is allowed;
 * - `allowed-by`: the selecting policies with a rule matching the connection;
 * - `denied`: the pod is isolated by `isolatedBy` and none of their rules match.
 */
export type Verdict =
  | { kind: 'external' }
  | { kind: 'not-isolated' }
  | { kind: 'allowed-by'; policies: string[] }
  | { kind: 'denied'; isolatedBy: string[] };

/** The outcome for a connection: allowed only if neither side denies it. */
export interface Decision {
  allowed: boolean;
  egress: Verdict;
  ingress: Verdict;
}

/** The namespace label the control plane sets on every namespace (immutable, so it wins over caller labels). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Whether a connection is allowed: the source pod's egress policies AND the destination pod's ingress policies
 * must both allow it. Each side is non-isolated unless some policy of that direction selects the pod, and the
 * selecting policies are additive (any matching rule of any of them allows).
 */
export function isAllowed(policies: readonly NetworkPolicyObject[], c: Connection): Decision {
  const egress = decideSide(policies, 'Egress', c.from, c.to, c);
  const ingress = decideSide(policies, 'Ingress', c.to, c.from, c);
  return { allowed: egress.kind !== 'denied' && ingress.kind !== 'denied', egress, ingress };
}

/**
 * The directions a policy isolates, with the API server's defaulting: when `policyTypes` is absent or empty,
 * Ingress always, plus Egress if the spec has at least one egress rule.
 */
export function effectivePolicyTypes(spec: NetworkPolicySpec): readonly PolicyType[] {
  if (spec.policyTypes?.length) return spec.policyTypes;
  return spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Whether labels satisfy a selector: every `matchLabels` pair AND every `matchExpressions` requirement. */
export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const pairsMatch = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return pairsMatch && (selector.matchExpressions ?? []).every((r) => matchesRequirement(r, labels));
}

/** Whether an IP (v4 or v6) is inside `block.cidr` and outside all of `block.except`. */
export function ipInBlock(ip: string, block: IPBlock): boolean {
  const addr = parseIp(ip);
  return cidrContains(block.cidr, addr) && !(block.except ?? []).some((e) => cidrContains(e, addr));
}

function decideSide(
  policies: readonly NetworkPolicyObject[],
  direction: PolicyType,
  subject: Endpoint,
  peer: Endpoint,
  c: Connection,
): Verdict {
  if (subject.kind === 'external') return { kind: 'external' };
  const selecting = policies.filter(
    (p) => effectivePolicyTypes(p.spec).includes(direction) && selectsPod(p, subject),
  );
  if (selecting.length === 0) return { kind: 'not-isolated' };
  const allowing = selecting.filter((p) => rulesOf(p, direction).some((r) => ruleMatches(p, r, peer, c)));
  return allowing.length > 0
    ? { kind: 'allowed-by', policies: allowing.map(policyName) }
    : { kind: 'denied', isolatedBy: selecting.map(policyName) };
}

function policyNamespace(p: NetworkPolicyObject): string {
  return p.metadata.namespace ?? 'default';
}

function policyName(p: NetworkPolicyObject): string {
  return `${policyNamespace(p)}/${p.metadata.name}`;
}

function selectsPod(p: NetworkPolicyObject, pod: PodEndpoint): boolean {
  return pod.namespace === policyNamespace(p) && matchesLabelSelector(p.spec.podSelector, pod.labels);
}

interface Rule {
  peers?: readonly NetworkPolicyPeer[];
  ports?: readonly NetworkPolicyPort[];
}

function rulesOf(p: NetworkPolicyObject, direction: PolicyType): Rule[] {
  return direction === 'Ingress'
    ? (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
    : (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
}

function ruleMatches(p: NetworkPolicyObject, rule: Rule, peer: Endpoint, c: Connection): boolean {
  const peerOk = !rule.peers?.length || rule.peers.some((x) => peerMatches(p, x, peer));
  return peerOk && (!rule.ports?.length || rule.ports.some((x) => portMatches(p, x, c)));
}

function peerMatches(p: NetworkPolicyObject, peer: NetworkPolicyPeer, ep: Endpoint): boolean {
  const hasSelector = peer.podSelector !== undefined || peer.namespaceSelector !== undefined;
  // The API server rejects these; evaluating them would silently give a meaning the cluster never sees.
  if (peer.ipBlock && hasSelector) throw invalid(p, 'a peer may not combine ipBlock with selectors');
  if (!peer.ipBlock && !hasSelector) throw invalid(p, 'a peer needs ipBlock, podSelector or namespaceSelector');
  if (peer.ipBlock) return ep.ip !== undefined && ipInBlock(ep.ip, peer.ipBlock);
  if (ep.kind === 'external') return false;
  const namespaceOk = peer.namespaceSelector
    ? matchesLabelSelector(peer.namespaceSelector, { ...ep.namespaceLabels, [NAMESPACE_NAME_LABEL]: ep.namespace })
    : ep.namespace === policyNamespace(p); // a podSelector alone means the policy's own namespace
  return namespaceOk && (peer.podSelector === undefined || matchesLabelSelector(peer.podSelector, ep.labels));
}

function portMatches(p: NetworkPolicyObject, port: NetworkPolicyPort, c: Connection): boolean {
  if (port.endPort !== undefined && typeof port.port !== 'number') {
    throw invalid(p, 'endPort requires a numeric port');
  }
  if ((port.protocol ?? 'TCP') !== (c.protocol ?? 'TCP')) return false;
  if (port.port === undefined) return true;
  if (typeof port.port === 'string') return c.portName === port.port;
  return port.endPort === undefined ? c.port === port.port : c.port >= port.port && c.port <= port.endPort;
}

function matchesRequirement(r: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && requireValues(r).includes(labels[r.key]!);
    case 'NotIn': // like Kubernetes, an absent key satisfies NotIn
      return !has || !requireValues(r).includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

function requireValues(r: LabelSelectorRequirement): readonly string[] {
  if (!r.values?.length) throw new Error(`label selector: operator ${r.operator} on "${r.key}" needs values`);
  return r.values;
}

function invalid(p: NetworkPolicyObject, why: string): Error {
  return new Error(`NetworkPolicy ${policyName(p)} is invalid: ${why}`);
}

interface Address {
  bits: 32 | 128;
  value: bigint;
}

function cidrContains(cidr: string, addr: Address): boolean {
  const [ip, prefixText, ...rest] = cidr.split('/');
  const net = parseIp(ip!);
  const prefix = Number(prefixText);
  if (rest.length || !/^\d+$/.test(prefixText ?? '') || prefix > net.bits) throw new Error(`invalid CIDR "${cidr}"`);
  // Different families never contain each other; IPv4-mapped IPv6 addresses are not unified with IPv4.
  if (net.bits !== addr.bits) return false;
  const shift = BigInt(net.bits - prefix);
  return net.value >> shift === addr.value >> shift;
}

function parseIp(ip: string): Address {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return { bits: 32, value: v4 };
  const v6 = parseIpv6(ip);
  if (v6 !== undefined) return { bits: 128, value: v6 };
  throw new Error(`invalid IP address "${ip}"`);
}

function parseIpv4(ip: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
}

function parseIpv6(ip: string): bigint | undefined {
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  // A dotted IPv4 ending (`::ffff:1.2.3.4`) stands for the last two groups.
  const ending = groups.at(-1)!;
  const last = ending.at(-1);
  if (last?.includes('.')) {
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    ending.splice(-1, 1, (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const [head = [], tail = []] = groups;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
