// The REST client of the dashboard: every call goes to the public /v1 API
// with the account API key as a bearer header.

const storageKey = 'millwright.apiKey';

// session keeps the API key in sessionStorage only: it is gone when the tab
// closes, and never written anywhere else.
export const session = {
  get key() { return sessionStorage.getItem(storageKey) || ''; },
  set(key) { sessionStorage.setItem(storageKey, key); },
  clear() { sessionStorage.removeItem(storageKey); },
};

// ApiError is a failed call: the HTTP status, the Millwright reason and the
// request id that support can look up.
export class ApiError extends Error {
  constructor(status, body, requestId) {
    const info = (body?.details || []).find((d) => String(d['@type'] || '').endsWith('ErrorInfo')) || {};
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.reason = info.reason || '';
    this.metadata = info.metadata || {};
    this.requestId = this.metadata.request_id || requestId || '';
  }
}

// listeners are told when a call is refused for its credential.
const unauthorized = new Set();
export function onUnauthorized(fn) { unauthorized.add(fn); }

// api calls the REST API and returns the decoded JSON body, or throws an
// ApiError.
export async function api(method, path, body, key = session.key) {
  const headers = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const text = await resp.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = { message: text }; }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data, resp.headers.get('X-Request-Id'));
    if (resp.status === 401 && key === session.key) unauthorized.forEach((fn) => fn(err));
    throw err;
  }
  return data;
}

// query builds a query string from the non-empty values of params.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// seg escapes one path segment.
export const seg = encodeURIComponent;
