// Every call to the JSON API goes through here: the session cookie rides along, writes carry the
// CSRF token, and failures become messages a person can act on (never a raw error).

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function friendly(status, body, retryAfter) {
  const code = body && body.error;
  if (status === 401) return "Your session has ended. Please sign in again.";
  // A rule of the organization (only owners touch owners) says itself; other refusals are
  // about the caller's role in general.
  if (status === 403 && code === "owner_required" && body.message) return body.message;
  if (status === 403) return "You don't have permission to do that in this organization.";
  if (status === 404) return "That was not found — it may have been removed, or you may not have access to it.";
  if (status === 429) return `Too many requests. Try again in ${retryAfter || "a few"} seconds.`;
  if (status >= 500) return "Something went wrong on our side. Please try again in a moment.";
  // Validation answers name the field and the rule; they are written for people.
  if (body && typeof body.message === "string" && body.message) return body.message;
  return code ? `The request was not accepted (${code}).` : "The request was not accepted.";
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "Optiview could not be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, json && json.error, friendly(response.status, json, response.headers.get("Retry-After")));
  }
  return json;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body === undefined ? {} : body);
