// The CPU reference shares memory between its Web Workers (SharedArrayBuffer), which a browser
// allows only on a cross-origin isolated page. Isolation comes from the server's COOP/COEP
// headers (the dev server, `vite preview`) or, on a static host that sends none (GitHub
// Pages), from coi-serviceworker: the pages load it first; it registers itself as a service
// worker that adds the headers to every response, and reloads the page once it controls it.

/** How long to wait for the service worker before saying the CPU reference cannot run. */
const SERVICE_WORKER_WAIT_MS = 15_000;

/** Where this page's cross-origin isolation comes from, or null when it has none. */
export function isolationSource(): 'headers' | 'service worker' | null {
  if (!globalThis.crossOriginIsolated) return null;
  return navigator.serviceWorker?.controller ? 'service worker' : 'headers';
}

/** One sentence on why the CPU reference can share memory here. */
export function isolationNote(): string {
  switch (isolationSource()) {
    case 'headers':
      return 'shared memory: the server sends COOP/COEP headers';
    case 'service worker':
      return 'shared memory: this host sends no COOP/COEP headers, a service worker (coi-serviceworker) adds them';
    case null:
      return 'no shared memory: the page is not cross-origin isolated';
  }
}

/**
 * Resolves once the page is cross-origin isolated. Where the service worker is still starting,
 * it waits: the worker reloads the page when it takes control, and the reloaded page is
 * isolated. Rejects with the reason where isolation cannot come.
 */
export async function awaitIsolation(): Promise<void> {
  if (globalThis.crossOriginIsolated) return;
  const cannot = (why: string): Error =>
    new Error(
      `The CPU reference needs shared memory (SharedArrayBuffer), so a cross-origin isolated page: ` +
        `this host sends no COOP/COEP headers, and ${why}. Serve the site with those headers, ` +
        'or use the WebGPU backend.',
    );
  if (!globalThis.isSecureContext) {
    throw cannot('the service worker that adds them needs a secure context (https or localhost)');
  }
  const container = navigator.serviceWorker as ServiceWorkerContainer | undefined;
  if (!container) throw cannot('this browser offers no service workers here (a private window?)');
  const ready = await Promise.race([
    container.ready.then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), SERVICE_WORKER_WAIT_MS)),
  ]);
  if (!ready) {
    throw cannot(
      `the service worker that adds them did not start in ${SERVICE_WORKER_WAIT_MS / 1000} s`,
    );
  }
  // Ready but not yet in control: coi-serviceworker reloads the page now.
  if (!container.controller) return new Promise<void>(() => {});
  throw cannot('the service worker that adds them runs, but the browser did not isolate the page');
}
