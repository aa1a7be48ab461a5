import type { Router } from 'express';

/**
 * The parts of a layer of Express 5's router (the `router` package, 2.x) read here;
 * @types/express still describes Express 4's layers, which matched differently.
 */
interface Layer {
  /** Leaves no state on the layer, so asking it about another path is harmless. */
  match(path: string): { path: string } | false;
  /** Set on the layers `router.get()` and the like add. */
  route?: { _methods(): string[] };
  handle: unknown;
}

/** The layers of a mounted router, or of a mounted app (bull-board's is one); undefined for plain middleware. */
function nestedStack(handle: unknown): readonly Layer[] | undefined {
  const mounted = handle as { stack?: unknown; router?: { stack?: unknown } } | undefined;
  const stack = mounted?.stack ?? mounted?.router?.stack;
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

function collect(stack: readonly Layer[], path: string, into: Set<string>): void {
  for (const layer of stack) {
    const matched = layer.match(path);
    if (matched === false) continue;
    if (layer.route !== undefined) {
      // Express's own list, with the HEAD it answers for every GET.
      for (const method of layer.route._methods()) into.add(method);
      continue;
    }
    const nested = nestedStack(layer.handle);
    const rest = path.slice(matched.path.length);
    // As the router mounts: `/assets` holds `/assets/x`, not `/assetsx`.
    if (nested !== undefined && (rest === '' || rest.startsWith('/'))) collect(nested, rest === '' ? '/' : rest, into);
  }
}

/**
 * The methods some route of `router`, or of a router mounted in it, answers at `path`, read
 * from the route table itself so a new route is counted without a list to keep. Express
 * answers OPTIONS itself on every path a route matches, so it is in the list whenever the
 * list is not empty. Sorted, as Express's own OPTIONS answer lists them.
 */
export function allowedMethods(router: Router, path: string): string[] {
  const methods = new Set<string>();
  collect(router.stack as unknown as Layer[], path, methods);
  if (methods.size > 0) methods.add('OPTIONS');
  return [...methods].sort();
}
