/**
 * Kubernetes 1.28 API types for cdk8s. `cdk8s import k8s` needs the network, so we use the
 * generated module that cdk8s-plus-28 ships (same generator, same Kubernetes version).
 */
export * from 'cdk8s-plus-28/lib/imports/k8s.js';
