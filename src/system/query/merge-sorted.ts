/**
 * A k-way merge of async sources each already ordered by `compare`: one head per source in memory,
 * a binary heap of heads, so the merge costs O(log k) per item whatever the sources' length. The
 * sources are advanced only as the merge is consumed, and all of them are closed (their `finally`
 * blocks run) when the consumer stops early.
 */
export async function* mergeSorted<T>(sources: ReadonlyArray<AsyncIterator<T>>, compare: (a: T, b: T) => number): AsyncGenerator<T> {
  const heap: Array<{ value: T; source: AsyncIterator<T> }> = [];
  const before = (i: number, j: number) => compare((heap[i] as { value: T }).value, (heap[j] as { value: T }).value) < 0;
  const swap = (i: number, j: number) => {
    const t = heap[i] as { value: T; source: AsyncIterator<T> };
    heap[i] = heap[j] as { value: T; source: AsyncIterator<T> };
    heap[j] = t;
  };
  const up = (start: number) => {
    for (let i = start; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(i, parent)) return;
      swap(i, parent);
      i = parent;
    }
  };
  const down = (start: number) => {
    for (let i = start; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(l, m)) m = l;
      if (r < heap.length && before(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  try {
    for (const source of sources) {
      const first = await source.next();
      if (first.done !== true) {
        heap.push({ value: first.value, source });
        up(heap.length - 1);
      }
    }
    while (heap.length > 0) {
      const top = heap[0] as { value: T; source: AsyncIterator<T> };
      yield top.value;
      const next = await top.source.next();
      if (next.done === true) {
        const last = heap.pop() as { value: T; source: AsyncIterator<T> };
        if (heap.length > 0) {
          heap[0] = last;
          down(0);
        }
      } else {
        top.value = next.value;
        down(0);
      }
    }
  } finally {
    await Promise.all(sources.map((s) => (s.return ? s.return() : Promise.resolve(undefined))));
  }
}
