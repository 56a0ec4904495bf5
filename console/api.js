const TOKEN_KEY = 'streamforge.token';

/** An answer that was not 2xx: the API's `{code, message}` kept as they are. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function authHeaders() {
  const t = token();
  return t === undefined ? {} : { authorization: `Bearer ${t}` };
}

let asking;

/**
 * Asks for the token once for every call refused at the same time: `missing` the first time,
 * `wrong` when the token kept was refused.
 */
export function askToken() {
  asking ??= new Promise((resolve) => {
    const dialog = document.getElementById('token-dialog');
    const input = document.getElementById('token-input');
    document.getElementById('token-message').textContent =
      token() === undefined
        ? 'This server needs its API token (STREAMFORGE_API_TOKEN).'
        : 'The server refused that token (401): check STREAMFORGE_API_TOKEN and enter it again.';
    dialog.classList.toggle('refused', token() !== undefined);
    input.value = '';
    const done = (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (value === '') return;
      sessionStorage.setItem(TOKEN_KEY, value);
      dialog.removeEventListener('submit', done);
      dialog.removeEventListener('cancel', keep);
      dialog.close();
      asking = undefined;
      resolve();
    };
    const keep = (event) => event.preventDefault();
    dialog.addEventListener('submit', done);
    dialog.addEventListener('cancel', keep);
    dialog.showModal();
    input.focus();
  });
  return asking;
}

/** Calls the API with the token; a 401 asks for it and tries again; other errors throw {@link ApiError}. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  for (;;) {
    const headers = { accept: 'application/json', ...authHeaders() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (res.status === 401) {
      await askToken();
      continue;
    }
    const text = await res.text();
    let json;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      throw new ApiError(res.status, 'SF_ERR_CONSOLE', `the server answered ${res.status} with something not JSON (${err.message})`);
    }
    if (!res.ok) throw new ApiError(res.status, json?.code, json?.message ?? `the server answered ${res.status}`);
    return json;
  }
}

/** A query string from the defined values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}
