// The management API, called with the session cookie. A 401 means the
// session ended: back to the login page.

// ApiError carries the problem details of a failed call.
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}

let onSessionEnd = () => { window.location.assign('/ui'); };

// whenSessionEnds replaces what happens on a 401 (tests and the app).
export function whenSessionEnds(fn) {
  onSessionEnd = fn;
}

// api calls the API and returns the decoded JSON body (null for 204).
export async function api(method, path, body) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `Vigil cannot be reached (${e.message}).`);
  }
  if (resp.status === 401) {
    onSessionEnd();
    throw new ApiError(401, 'Your session has ended.');
  }
  if (resp.status === 204) return null;
  let data = null;
  const type = resp.headers.get('Content-Type') || '';
  if (type.includes('json')) data = await resp.json().catch(() => null);
  if (!resp.ok) {
    throw new ApiError(resp.status, (data && (data.detail || data.title)) || `HTTP ${resp.status}`);
  }
  return data;
}

// enc encodes an opaque ID (alerts and silences) for a path.
export function enc(id) {
  return encodeURIComponent(id);
}
