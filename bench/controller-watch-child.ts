/**
 * Child process of the controller benchmark's watch-mode RSS measure (bench/controller.ts): bundled
 * with scripts/bundle.ts and run on plain node, as the image runs the controller.
 */
import { buildReport } from '../src/controller/check.ts';
import { ClusterWatch } from '../src/controller/informers.ts';
import { KubeReader, loadKubeConfig } from '../src/controller/kube.ts';
import { scopeFromFlags } from '../src/controller/scope.ts';
import { NO_PROMETHEUS } from './controller-shared.ts';

/** Child side of {@link watchRss}: sync the informers, settle, print RSS. */
async function watchChild(kubeconfig: string): Promise<void> {
  const reader = new KubeReader(loadKubeConfig({ kubeconfig }));
  const scope = scopeFromFlags({});
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  gc();
  // The process before any object is cached: node and the bundled client.
  const idle = process.memoryUsage().rss;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const cluster = new ClusterWatch(reader, scope, {
      onChange: () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (!cluster.synced) return;
          const state = cluster.state();
          if (state.pods.length < 10_000) return;
          buildReport(state, NO_PROMETHEUS, { scope });
          gc();
          process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss, idle, pods: state.pods.length }));
          cluster.stop();
          resolve();
        }, 500);
      },
      onFatal: () => false,
    });
    cluster.start();
  });
  process.exit(0);
}


await watchChild(process.env.O11Y_BENCH_WATCH_KUBECONFIG!);
