// Fetch wrapper for the Shaowang API: same-origin cookies, the CSRF header on writes,
// one error type carrying the API's detail text, and the two global reactions the contract
// asks for (401 → sign in again, 503 "setup required" → the setup page).
import { t } from './i18n.js';

const CSRF_COOKIE = 'shaowang_csrf';
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

let csrfFromLogin = null;
let sessionExpiredHandler = null;

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

/** Called (once per expiry) when any authenticated call answers 401. */
export function onSessionExpired(handler) {
  sessionExpiredHandler = handler;
}

/** Remember the token from the login response, in case the cookie is not readable. */
export function setCsrfToken(token) {
  csrfFromLogin = token || null;
}

export function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return csrfFromLogin;
}

/** The API's error detail as one line: a string, or FastAPI's 422 list of {loc, msg}. */
export function formatDetail(body) {
  if (!body) return '';
  const detail = typeof body === 'object' && 'detail' in body ? body.detail : body;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        if (typeof item === 'string') return item;
        const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== 'body').join('.') : '';
        return loc ? `${loc}: ${item.msg}` : item.msg;
      })
      .join('; ');
  }
  if (detail && typeof detail === 'object') {
    return detail.message || detail.msg || JSON.stringify(detail);
  }
  return String(detail);
}

export function queryString(params) {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => qs.append(key, v));
    else qs.append(key, String(value));
  }
  const text = qs.toString();
  return text ? `?${text}` : '';
}

/**
 * One API call. Options: params (query), body (JSON) or rawBody (a File/Blob sent as is, with
 * its own Content-Type header), headers, and noAuthRedirect (the login and setup calls, where
 * 401/403 are answers to show, not an ended session).
 */
export async function request(method, path, options = {}) {
  const { params, body, rawBody, headers = {}, noAuthRedirect = false } = options;
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (rawBody !== undefined) {
    init.body = rawBody;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (WRITE_METHODS.has(method)) {
    const token = csrfToken();
    if (token) init.headers['X-CSRF-Token'] = token;
  }
  let response;
  try {
    response = await fetch(path + queryString(params), init);
  } catch (err) {
    throw new ApiError(0, t('err.network'), null);
  }
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
  }
  if (response.ok) return data;

  const detail = formatDetail(data) || response.statusText || `HTTP ${response.status}`;
  if (response.status === 503 && data && typeof data === 'object' && (data.setup || data.detail === 'setup required')) {
    const target = typeof data.setup === 'string' && data.setup.startsWith('/') ? data.setup : '/setup';
    if (!location.pathname.startsWith('/setup')) location.assign(target);
    throw new ApiError(503, detail, data);
  }
  if (response.status === 401 && !noAuthRedirect && sessionExpiredHandler) {
    sessionExpiredHandler();
    const err = new ApiError(401, t('login.expired'), data);
    err.sessionExpired = true;
    throw err;
  }
  throw new ApiError(response.status, detail, data);
}

export const api = {
  get: (path, params, options = {}) => request('GET', path, { ...options, params }),
  post: (path, body, options = {}) => request('POST', path, { ...options, body }),
  patch: (path, body, options = {}) => request('PATCH', path, { ...options, body }),
  put: (path, body, options = {}) => request('PUT', path, { ...options, body }),
  del: (path, options = {}) => request('DELETE', path, options),
  /** POST a file as the raw request body; its name travels as ?filename= so the server knows CSV from XLSX. */
  upload: (path, file, params = {}) =>
    request('POST', path, {
      params: { ...params, filename: file.name },
      rawBody: file,
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
    }),
};

/** Run several GETs; each result is {ok, value} or {ok: false, error}, never a throw. */
export async function settle(promises) {
  const results = await Promise.allSettled(promises);
  return results.map((r) => (r.status === 'fulfilled' ? { ok: true, value: r.value } : { ok: false, error: r.reason }));
}
