import { NO_IDENTITY, type PlatformProfile } from './profile.ts';

/**
 * On-prem: no metadata service to ask (only what users set in `OTEL_RESOURCE_ATTRIBUTES`), no
 * default StorageClass worth trusting (the config must name one), no workload identity; object
 * storage is a filesystem on PVCs or an S3-compatible store such as MinIO.
 *
 * The control plane is the scrapers' to read, on the control-plane nodes' addresses, at kubeadm's
 * ports: kube-scheduler (HTTPS 10259) and kube-controller-manager (HTTPS 10257) authorize `/metrics`
 * against the API server (the scraper's token, a self-signed serving certificate); etcd serves
 * plain-HTTP metrics on 2381. kubeadm binds all three to 127.0.0.1: they must listen on the node
 * address (`bind-address: 0.0.0.0` for scheduler and controller-manager, etcd
 * `listen-metrics-urls: http://0.0.0.0:2381`), as the README's control-plane table says.
 */
export const onprem: PlatformProfile = {
  detectors: ['env'],
  staticResourceAttributes: {},
  identityEgress: [],
  detectionEgress: [],
  objectStorageTypes: ['filesystem', 's3'],
  identityKeys: [],
  identityBinding: () => NO_IDENTITY,
  otlpServiceAnnotations: {},
  controlPlane: [
    { job: 'etcd', via: 'controlPlaneNodes', scheme: 'http', port: 2381 },
    { job: 'kube-scheduler', via: 'controlPlaneNodes', scheme: 'https', port: 10259 },
    { job: 'kube-controller-manager', via: 'controlPlaneNodes', scheme: 'https', port: 10257 },
  ],
};
