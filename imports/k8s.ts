/**
 * Kubernetes 1.28 API types for cdk8s. `cdk8s import k8s` needs the network, so we use the
 * generated module that cdk8s-plus-28 ships (same generator, same Kubernetes version): its types
 * all, its classes from the subset the constructs use (`k8s.generated.js`, `npm run generate`),
 * so that a start loads 84 KB of ES module instead of its 2.7 MB of CommonJS.
 */
export type * from 'cdk8s-plus-28/lib/imports/k8s.js';
export * from './k8s.generated.js';
