// restsync web UI: a thin client of the JSON API. Every page component below reads and writes
// through `api`, which speaks the {code, message, data} envelope, sends the CSRF header on
// state-changing calls, and sends a signed-out browser to the login page.
"use strict";

const API = document.body.dataset.api || "/api/v1";

class ApiError extends Error {
  constructor(message, status, data) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

function readCookie(name) {
  const prefix = name + "=";
  for (const part of document.cookie.split(";")) {
    const item = part.trim();
    if (item.startsWith(prefix)) return decodeURIComponent(item.slice(prefix.length));
  }
  return "";
}

function toLogin() {
  const here = location.pathname + location.search;
  location.assign("/login" + (here && here !== "/login" ? "?next=" + encodeURIComponent(here) : ""));
}

const api = {
  // Returns the envelope's `data`; throws ApiError with the server's message otherwise.
  async call(method, path, body, { redirectOn401 = true } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = readCookie("restsync_csrf");
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(API + path, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError("The server cannot be reached (" + err.message + ")", 0, null);
    }
    let envelope = null;
    try { envelope = await response.json(); } catch (err) { envelope = null; }
    if (response.status === 401 && redirectOn401) {
      toLogin();
      throw new ApiError("Signed out: log in again", 401, null);
    }
    // 403 is also an expired session or a revoked token: if /auth/me refuses too, log in again.
    if (response.status === 403 && redirectOn401 && path !== "/auth/me") {
      const me = await fetch(API + "/auth/me", { credentials: "same-origin" }).catch(() => null);
      if (me && (me.status === 401 || me.status === 403)) {
        toLogin();
        throw new ApiError("Signed out: log in again", 403, null);
      }
    }
    if (!response.ok || (envelope && envelope.code !== undefined && envelope.code !== 0)) {
      const message = (envelope && (envelope.message || envelope.detail)) || response.statusText || "request failed";
      throw new ApiError(typeof message === "string" ? message : JSON.stringify(message), response.status,
                         envelope ? envelope.data : null);
    }
    return envelope && "data" in envelope ? envelope.data : envelope;
  },
  get(path) { return this.call("GET", path); },
  post(path, body) { return this.call("POST", path, body === undefined ? {} : body); },
  put(path, body) { return this.call("PUT", path, body); },
  patch(path, body) { return this.call("PATCH", path, body); },
  del(path, body) { return this.call("DELETE", path, body); },
};

// ---------------------------------------------------------------- formatting helpers (used in templates)

const fmt = {
  date(value) {
    if (value === null || value === undefined || value === "") return "—";
    const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
    if (isNaN(date)) return String(value);
    return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/:\d\dZ$/, " UTC");
  },
  ago(value) {
    if (!value) return "never";
    const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
    const seconds = Math.round((Date.now() - date.getTime()) / 1000);
    if (isNaN(seconds)) return String(value);
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " d ago";
  },
  duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min " + (seconds % 60) + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  },
  number(value) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString("en");
  },
  score(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(3);
  },
  json(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") {
      try { return JSON.stringify(JSON.parse(value), null, 2); } catch (err) { return value; }
    }
    return JSON.stringify(value, null, 2);
  },
  metadata(metadata) {
    // [[key, text]] for display, lists joined.
    if (!metadata || typeof metadata !== "object") return [];
    return Object.entries(metadata).map(([key, value]) => [
      key, Array.isArray(value) ? value.join(", ") : (value !== null && typeof value === "object" ? JSON.stringify(value) : String(value)),
    ]);
  },
  truncate(text, length) {
    text = text || "";
    return text.length > length ? text.slice(0, length).trimEnd() + "…" : text;
  },
};

function escapeHtml(text) {
  return String(text === null || text === undefined ? "" : text)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// A snippet as safe HTML: the text escaped, then only the query's terms wrapped in <mark>. The
// server's own highlight markup is never trusted as HTML.
function highlightTerms(text, query) {
  const safe = escapeHtml(text);
  const terms = Array.from(new Set((query || "").toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) || []));
  if (!terms.length) return safe;
  const pattern = new RegExp("(" + terms.map((t) => escapeHtml(t).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")", "giu");
  return safe.replace(/(<[^>]*>)|([^<]+)/g, (whole, tag, textPart) =>
    tag ? tag : textPart.replace(pattern, "<mark>$1</mark>"));
}

// The part of a long text around its first matched term, so a hit shows why it matched.
function snippetAround(text, query, length = 320) {
  text = (text || "").replace(/\s+/g, " ").trim();
  if (text.length <= length) return text;
  const terms = (query || "").toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) || [];
  const lower = text.toLowerCase();
  let at = -1;
  for (const term of terms) {
    const found = lower.indexOf(term);
    if (found !== -1 && (at === -1 || found < at)) at = found;
  }
  const start = Math.max(0, at === -1 ? 0 : at - Math.floor(length / 3));
  const piece = text.slice(start, start + length);
  return (start > 0 ? "…" : "") + piece + (start + length < text.length ? "…" : "");
}

// key=value lines <-> objects, the way RAGFlow's text boxes hold query parameters and headers.
function linesToObject(text) {
  const out = {};
  for (const raw of (text || "").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf("=");
    const colon = line.indexOf(":");
    // "Name: value" is accepted for headers pasted from a browser's network panel.
    const split = at === -1 ? colon : (colon !== -1 && colon < at && /^[A-Za-z0-9-]+$/.test(line.slice(0, colon)) ? colon : at);
    if (split === -1) { out[line] = ""; continue; }
    out[line.slice(0, split).trim()] = line.slice(split + 1).trim();
  }
  return out;
}

function objectToLines(value) {
  if (!value) return "";
  if (typeof value === "string") {
    try { value = JSON.parse(value); } catch (err) { return value; }
  }
  return Object.entries(value).map(([key, item]) =>
    key + "=" + (item !== null && typeof item === "object" ? JSON.stringify(item) : item)).join("\n");
}

function listOf(value) {
  if (Array.isArray(value)) return value.map(String);
  if (!value) return [];
  return String(value).split(",").map((item) => item.trim()).filter(Boolean);
}

function pageData(name) {
  return document.getElementById("main").dataset[name] || "";
}

// ---------------------------------------------------------------- components

document.addEventListener("alpine:init", () => {
  Alpine.data("session", () => ({
    me: null,
    async init() {
      try { this.me = await api.get("/auth/me"); } catch (err) { /* 401 already redirects */ }
    },
    async logout() {
      try { await api.call("POST", "/auth/logout", {}, { redirectOn401: false }); } catch (err) { /* gone already */ }
      location.assign("/login");
    },
  }));

  Alpine.data("login", () => ({
    token: "",
    error: "",
    busy: false,
    async submit() {
      this.error = "";
      if (!this.token.trim()) { this.error = "Paste an API token."; return; }
      this.busy = true;
      try {
        await api.call("POST", "/auth/login", { token: this.token.trim() }, { redirectOn401: false });
        const next = new URLSearchParams(location.search).get("next") || "/";
        // Only same-site paths: a crafted ?next= must not send the user elsewhere.
        location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/");
      } catch (err) {
        this.error = err.status === 401 || err.status === 403 ? "That token is not valid (or was revoked)." : err.message;
        this.busy = false;
      }
    },
  }));
});
