/** An upgrade answered with an HTTP error instead. */
export type Refusal = { readonly ok: false; readonly status: number; readonly msg: string };

/** `/ws/<a>` (raw) or `/stream?streams=a/b` (combined): the framing and the stream names asked for. */
export function requestedStreams(rawUrl: string): { readonly ok: true; readonly combined: boolean; readonly names: string[] } | Refusal {
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://simulator');
  } catch (err) {
    return { ok: false, status: 400, msg: `Malformed URL: ${(err as Error).message}` };
  }
  const path = url.pathname;
  let combined: boolean;
  let joined: string;
  if (path === '/ws' || path.startsWith('/ws/')) {
    combined = false;
    joined = path.slice(4);
  } else if (path === '/stream' || path === '/stream/') {
    combined = true;
    joined = url.searchParams.get('streams') ?? '';
  } else {
    return { ok: false, status: 404, msg: `Unknown path ${path}` };
  }
  try {
    // searchParams already decoded the combined list; a raw path still needs it.
    const names = joined.split('/').filter((n) => n !== '');
    return { ok: true, combined, names: combined ? names : names.map(decodeURIComponent) };
  } catch (err) {
    return { ok: false, status: 400, msg: `Malformed stream name: ${(err as Error).message}` };
  }
}
