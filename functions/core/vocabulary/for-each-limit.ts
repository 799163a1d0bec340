/**
 * Runs `fn` over the items with at most `limit` in flight; the first error stops new work and is
 * thrown once the work in flight has settled (nothing is still being written behind it).
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}

/**
 * `fn` of each item, at most `limit` in flight, the results in the items' order: what one tenant's
 * reads wait for (a few round trips in a row) overlaps the other tenants' instead of adding up.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachLimit(
    items.map((item, i) => [item, i] as const),
    limit,
    async ([item, i]) => void (out[i] = await fn(item)),
  );
  return out;
}

/**
 * `fn` of each item, handed out in the items' order, with up to `ahead` started before their turn:
 * what each waits for overlaps the others', and no more than `ahead` results wait in memory.
 */
export async function* inOrderAhead<T, R>(items: readonly T[], ahead: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const started: Array<Promise<R>> = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && started.length < ahead) {
      const p = fn(items[next++]!);
      p.catch(() => {}); // awaited in its turn below; never an unhandled rejection meanwhile
      started.push(p);
    }
  };
  fill();
  while (started.length > 0) {
    const first = started.shift()!;
    fill();
    yield await first;
  }
}
