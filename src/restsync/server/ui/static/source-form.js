// The data source form: a form state <-> connector config (RAGFlow's keys, restsync's extensions).
// Keys the form does not show are kept as they came (`extra`), so editing a config never drops them.
"use strict";

const SECRET_FIELDS = ["api_key", "token", "username", "password", "client_secret"];
const MASK = "***";

const AUTH_FIELDS = {
  none: [],
  api_key_header: ["header_name", "api_key"],
  api_key_query: ["param_name", "api_key"],
  bearer: ["token"],
  basic: ["username", "password"],
  oauth2_client_credentials: ["token_url", "client_id", "client_secret", "scope", "audience"],
};
const AUTH_SECRETS = new Set(["api_key", "token", "password", "client_secret"]);

// Pagination keys each type reads; the form shows and sends only these.
const PAGINATION_FIELDS = {
  none: [],
  page: ["page_param", "page_size_param", "start_page", "page_size", "page_in", "total_pages_path", "total_path", "has_more_path"],
  offset: ["offset_param", "limit_param", "start_offset", "limit", "offset_in", "total_path", "has_more_path"],
  cursor: ["cursor_param", "next_cursor_path", "initial_cursor", "cursor_in", "cursor_from", "cursor_item_field", "has_more_path"],
  next_url: ["next_url_path"],
  link_header: [],
  auto: [],
};
const NUMERIC_PAGINATION = new Set(["start_page", "page_size", "start_offset", "limit"]);
const PAGINATION_DEFAULTS = {
  page_param: "page", page_size_param: "per_page", start_page: "1", page_size: "50", page_in: "query",
  offset_param: "offset", limit_param: "limit", start_offset: "0", limit: "50", offset_in: "query",
  cursor_param: "cursor", next_cursor_path: "", initial_cursor: "", cursor_in: "query", cursor_from: "response",
  cursor_item_field: "", next_url_path: "", has_more_path: "", total_path: "", total_pages_path: "",
};
const ADVANCED_NUMBERS = ["max_pages", "request_delay", "requests_per_second", "concurrency", "timeout"];
const ADVANCED_TEXT = ["detail_url", "content_template"];
const FORM_KEYS = new Set([
  "url", "method", "query_params", "headers", "request_body", "auth_type", "auth_config", "credentials",
  "items_path", "id_field", "title_field", "link_field", "link_template", "content_fields", "metadata_fields",
  "poll_timestamp_field", "pagination_type", "pagination_config", "field_type_hints", "field_default_values",
  ...ADVANCED_NUMBERS, ...ADVANCED_TEXT,
]);

function blankForm() {
  return {
    url: "", method: "GET", query_params: "", headers: "", request_body: "",
    auth_type: "none",
    auth: { header_name: "X-API-Key", param_name: "api_key", api_key: "", token: "", username: "", password: "",
            token_url: "", client_id: "", client_secret: "", scope: "", audience: "" },
    items_path: "", id_field: "", title_field: "", link_field: "", link_template: "",
    content_fields: "", metadata_fields: "", poll_timestamp_field: "",
    pagination_type: "none",
    pg: { ...PAGINATION_DEFAULTS },
    adv: { max_pages: "", request_delay: "", requests_per_second: "", concurrency: "", timeout: "",
           detail_url: "", content_template: "", field_type_hints: "", field_default_values: "" },
    extra: {},
    extraPagination: {},
    extraAuth: {},
  };
}

function parseMaybeJson(value) {
  if (typeof value !== "string") return value;
  try { return JSON.parse(value); } catch (err) { return value; }
}

function text(value) {
  return value === null || value === undefined ? "" : String(value);
}

// A config (as the API returns it, or as suggest/import give it) -> form state.
// `stored`: whether "***" means "a secret is stored on the server" (saved connectors) or nothing.
function configToForm(config, stored) {
  const form = blankForm();
  const storedSecrets = {};
  config = config || {};
  for (const [key, value] of Object.entries(config)) if (!FORM_KEYS.has(key)) form.extra[key] = value;
  form.url = text(config.url);
  form.method = (config.method || "GET").toUpperCase();
  form.query_params = objectToLines(config.query_params);
  form.headers = objectToLines(config.headers);
  form.request_body = config.request_body === undefined || config.request_body === null ? "" : fmt.json(config.request_body);
  form.auth_type = config.auth_type || "none";
  const authConfig = parseMaybeJson(config.auth_config) || {};
  const credentials = parseMaybeJson(config.credentials) || {};
  const secretOf = (name, fallbacks) => {
    for (const source of [credentials[name], ...fallbacks.map((key) => authConfig[key])]) {
      if (source !== undefined && source !== null && source !== "") return String(source);
    }
    return "";
  };
  const found = {
    api_key: secretOf("api_key", ["api_key_value", "api_key"]),
    token: secretOf("token", ["token"]),
    username: secretOf("username", ["username"]),
    password: secretOf("password", ["password"]),
    client_secret: secretOf("client_secret", ["client_secret"]),
  };
  for (const name of SECRET_FIELDS) {
    if (found[name] === MASK) {
      if (stored) storedSecrets[name] = true;
      form.auth[name] = "";
    } else {
      form.auth[name] = found[name];
    }
  }
  for (const key of ["header_name", "param_name", "token_url", "client_id", "scope", "audience"]) {
    if (authConfig[key] !== undefined && authConfig[key] !== null) form.auth[key] = String(authConfig[key]);
  }
  const handledAuth = new Set(["header_name", "param_name", "token_url", "client_id", "scope", "audience",
                               "api_key", "api_key_value", "token", "username", "password", "client_secret"]);
  for (const [key, value] of Object.entries(authConfig)) if (!handledAuth.has(key)) form.extraAuth[key] = value;
  for (const [key, value] of Object.entries(credentials)) if (!SECRET_FIELDS.includes(key)) form.extraAuth["credentials." + key] = value;

  form.items_path = text(config.items_path);
  form.id_field = text(config.id_field);
  form.title_field = text(config.title_field);
  form.link_field = text(config.link_field);
  form.link_template = text(config.link_template);
  form.content_fields = listOf(config.content_fields).join(", ");
  form.metadata_fields = listOf(config.metadata_fields).join(", ");
  form.poll_timestamp_field = text(config.poll_timestamp_field);
  form.pagination_type = config.pagination_type || "none";
  const pagination = parseMaybeJson(config.pagination_config) || {};
  const known = new Set(Object.keys(PAGINATION_DEFAULTS));
  for (const [key, value] of Object.entries(pagination)) {
    if (known.has(key)) form.pg[key] = text(value);
    else form.extraPagination[key] = value;
  }
  for (const key of ADVANCED_NUMBERS) form.adv[key] = text(config[key]);
  for (const key of ADVANCED_TEXT) form.adv[key] = text(config[key]);
  form.adv.field_type_hints = objectToLines(config.field_type_hints);
  form.adv.field_default_values = objectToLines(config.field_default_values);
  return { form, storedSecrets };
}

class FormError extends Error {}

function numberOrNull(value, label) {
  const raw = text(value).trim();
  if (!raw) return null;
  const number = Number(raw);
  if (!Number.isFinite(number)) throw new FormError(label + ": must be a number, got “" + raw + "”");
  return number;
}

// Form state -> config. Empty values are left out, so the library's defaults apply.
function formToConfig(form, storedSecrets) {
  const config = { ...form.extra };
  if (!form.url.trim()) throw new FormError("Base URL: required");
  config.url = form.url.trim();
  config.method = form.method;
  const query = linesToObject(form.query_params);
  if (Object.keys(query).length) config.query_params = query;
  const headers = linesToObject(form.headers);
  if (Object.keys(headers).length) config.headers = headers;
  if (form.method === "POST" && form.request_body.trim()) {
    try { config.request_body = JSON.parse(form.request_body); } catch (err) {
      throw new FormError("Request body: not valid JSON (" + err.message + ")");
    }
  }
  config.auth_type = form.auth_type;
  const authConfig = {};
  const credentials = {};
  for (const [key, value] of Object.entries(form.extraAuth)) {
    if (key.startsWith("credentials.")) credentials[key.slice(12)] = value;
    else authConfig[key] = value;
  }
  for (const field of AUTH_FIELDS[form.auth_type] || []) {
    const value = text(form.auth[field]);
    if (AUTH_SECRETS.has(field)) {
      if (value) credentials[field] = value;
      else if (storedSecrets[field]) credentials[field] = MASK; // the server keeps the stored secret
    } else if (field === "username" && !value && storedSecrets.username) {
      credentials.username = MASK;
    } else if (value.trim()) {
      authConfig[field] = value.trim();
    }
  }
  if (Object.keys(authConfig).length) config.auth_config = authConfig;
  if (Object.keys(credentials).length) config.credentials = credentials;
  for (const key of ["items_path", "id_field", "title_field", "link_field", "link_template", "poll_timestamp_field"]) {
    if (form[key].trim()) config[key] = form[key].trim();
  }
  const content = listOf(form.content_fields);
  if (content.length) config.content_fields = content;
  const metadata = listOf(form.metadata_fields);
  if (metadata.length) config.metadata_fields = metadata;
  config.pagination_type = form.pagination_type;
  const pagination = { ...form.extraPagination };
  for (const key of PAGINATION_FIELDS[form.pagination_type] || []) {
    const value = text(form.pg[key]).trim();
    if (!value) continue;
    pagination[key] = NUMERIC_PAGINATION.has(key) ? numberOrNull(value, "Pagination " + key) : value;
  }
  if (Object.keys(pagination).length) config.pagination_config = pagination;
  for (const key of ADVANCED_NUMBERS) {
    const value = numberOrNull(form.adv[key], key);
    if (value !== null) config[key] = value;
  }
  for (const key of ADVANCED_TEXT) if (form.adv[key].trim()) config[key] = form.adv[key];
  const hints = linesToObject(form.adv.field_type_hints);
  if (Object.keys(hints).length) config.field_type_hints = hints;
  const defaults = linesToObject(form.adv.field_default_values);
  if (Object.keys(defaults).length) {
    config.field_default_values = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, parseMaybeJson(v)]));
  }
  return config;
}

// suggest never echoes a secret: it names a ${ENV} variable (or "***") where one was. In the browser
// the user pasted the secret a moment ago, so put what they pasted back in its place.
const PLACEHOLDER = /^\$\{[A-Za-z0-9_]+\}$/;
function isPlaceholder(value) {
  return !value || value === MASK || PLACEHOLDER.test(value);
}

function secretsFromPaste(form, url, headerLines) {
  const headers = linesToObject(headerLines);
  const header = (name) => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? "" : headers[key];
  };
  let query = new URLSearchParams();
  try { query = new URL(url).searchParams; } catch (err) { /* not a URL: nothing to take */ }
  const auth = form.auth;
  for (const name of SECRET_FIELDS) if (isPlaceholder(auth[name])) auth[name] = "";
  if (form.auth_type === "bearer" && !auth.token) {
    auth.token = header("Authorization").replace(/^Bearer\s+/i, "");
  } else if (form.auth_type === "api_key_header" && !auth.api_key) {
    auth.api_key = header(auth.header_name || "X-API-Key");
  } else if (form.auth_type === "basic" && !auth.password) {
    try {
      const decoded = atob(header("Authorization").replace(/^Basic\s+/i, ""));
      const at = decoded.indexOf(":");
      if (at !== -1) { auth.username = decoded.slice(0, at); auth.password = decoded.slice(at + 1); }
    } catch (err) { /* not base64: leave the fields for the user */ }
  } else if (form.auth_type === "api_key_query" && !auth.api_key) {
    auth.api_key = query.get(auth.param_name || "api_key") || "";
  }
  // Further credentials stay where they were given (a header, a query parameter): refill those too.
  const refill = (text, lookup) => text.split("\n").map((line) => {
    const at = line.indexOf("=");
    if (at === -1) return line;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    const placeholder = value.match(/\$\{[A-Za-z0-9_]+\}|\*\*\*/);
    return placeholder && lookup(key) ? key + "=" + lookup(key) : line;
  }).join("\n");
  form.headers = refill(form.headers, header);
  form.query_params = refill(form.query_params, (name) => query.get(name));
}

function rawSecretsFromImport(raw) {
  const config = parseMaybeJson(raw.config) || raw;
  const credentials = parseMaybeJson(config.credentials) || parseMaybeJson(raw.credentials) || {};
  const authConfig = parseMaybeJson(config.auth_config) || {};
  const pick = (...values) => values.find((v) => v !== undefined && v !== null && v !== "" && v !== MASK) || "";
  return {
    api_key: pick(credentials.api_key, authConfig.api_key_value, authConfig.api_key),
    token: pick(credentials.token, authConfig.token),
    username: pick(credentials.username, authConfig.username),
    password: pick(credentials.password, authConfig.password),
    client_secret: pick(credentials.client_secret, authConfig.client_secret),
  };
}

document.addEventListener("alpine:init", () => {
  Alpine.data("sourceForm", () => ({
    connectorId: "",
    datasetId: "",
    kbName: "",
    name: "",
    refreshFreq: "60",
    pruneFreq: "",
    form: blankForm(),
    storedSecrets: {},
    advanced: false,
    start: "",          // "", "suggest" or "import"
    suggestUrl: "",
    suggestHeaders: "",
    importText: "",
    startNotes: [],
    startError: "",
    busy: "",
    error: "",
    saved: false,
    check: null,
    preview: null,
    tab: "check",
    loadError: "",
    async init() {
      this.connectorId = this.$el.dataset.connectorId;
      this.datasetId = this.$el.dataset.datasetId;
      if (this.connectorId) {
        try {
          const connector = await api.get("/connectors/" + encodeURIComponent(this.connectorId));
          const { form, storedSecrets } = configToForm(connector.config, true);
          this.form = form;
          this.storedSecrets = storedSecrets;
          this.name = connector.name;
          this.refreshFreq = text(connector.refresh_freq || 0);
          this.pruneFreq = text(connector.prune_freq || "");
          this.datasetId = connector.dataset_id || "";
          document.title = connector.name + " · restsync";
        } catch (err) {
          this.loadError = err.status === 404 ? "This data source does not exist (it may have been deleted)." : err.message;
          return;
        }
      }
      if (this.datasetId) {
        try { this.kbName = (await api.get("/datasets/" + encodeURIComponent(this.datasetId))).name; } catch (err) { /* shown as id */ }
      }
    },
    get kbHref() { return this.datasetId ? "/kb/" + encodeURIComponent(this.datasetId) : "/"; },
    get authFields() { return AUTH_FIELDS[this.form.auth_type] || []; },
    shows(field) { return (PAGINATION_FIELDS[this.form.pagination_type] || []).includes(field); },
    secretPlaceholder(field) { return this.storedSecrets[field] ? "stored — leave empty to keep it" : ""; },
    configJson() {
      try {
        const config = formToConfig(this.form, this.storedSecrets);
        // Shown on screen: typed secrets stay hidden here too.
        if (config.credentials) {
          config.credentials = Object.fromEntries(Object.entries(config.credentials).map(([k, v]) => [k, v === MASK ? MASK : "(typed, hidden)"]));
        }
        return JSON.stringify(config, null, 2);
      } catch (err) { return "// " + err.message; }
    },
    body() {
      const config = formToConfig(this.form, this.storedSecrets);
      const body = { source: "rest_api", config };
      if (this.connectorId) body.connector_id = this.connectorId;
      return body;
    },
    async run(kind, action) {
      this.error = "";
      this.busy = kind;
      try {
        await action();
      } catch (err) {
        this.error = err.message;
      } finally {
        this.busy = "";
      }
    },
    test() {
      return this.run("test", async () => {
        this.check = await api.post("/connectors/rest_api/test", this.body());
        this.tab = "check";
      });
    },
    runPreview() {
      return this.run("preview", async () => {
        this.preview = await api.post("/connectors/rest_api/preview", { ...this.body(), limit: 5, pages: 2 });
        this.check = this.preview;
        this.tab = "documents";
      });
    },
    save() {
      return this.run("save", async () => {
        if (!this.name.trim()) throw new FormError("Name: required");
        const freq = numberOrNull(this.refreshFreq, "Refresh interval");
        const prune = numberOrNull(this.pruneFreq, "Full re-listing interval");
        const body = { name: this.name.trim(), source: "rest_api", config: formToConfig(this.form, this.storedSecrets),
                       refresh_freq: freq || 0, prune_freq: prune || 0 };
        if (this.connectorId) {
          await api.put("/connectors/" + encodeURIComponent(this.connectorId), body);
        } else {
          if (this.datasetId) body.dataset_id = this.datasetId;
          const created = await api.post("/connectors", body);
          this.connectorId = created.id;
        }
        this.saved = true;
        location.assign(this.kbHref);
      });
    },
    async suggest() {
      this.startError = "";
      this.startNotes = [];
      if (!this.suggestUrl.trim()) { this.startError = "URL: paste an endpoint URL"; return; }
      this.busy = "suggest";
      try {
        const data = await api.post("/suggest", { url: this.suggestUrl.trim(), method: "GET", headers: linesToObject(this.suggestHeaders) });
        const { form } = configToForm(data.config, false);
        secretsFromPaste(form, this.suggestUrl.trim(), this.suggestHeaders);
        this.form = form;
        this.storedSecrets = {};
        if (!this.name) { try { this.name = new URL(this.suggestUrl).hostname; } catch (err) { /* keep empty */ } }
        // The variable names suggest gives are for files; here the pasted secret fills the form.
        const notes = Object.entries(data.notes || {}).filter(([key]) => key !== "credentials");
        this.startNotes = [...notes.map(([key, why]) => key + ": " + why), ...(data.warnings || [])];
        this.start = "";
      } catch (err) {
        this.startError = err.message;
      } finally {
        this.busy = "";
      }
    },
    async importRagflow() {
      this.startError = "";
      this.startNotes = [];
      let raw;
      try { raw = JSON.parse(this.importText); } catch (err) {
        this.startError = "RAGFlow config: not valid JSON (" + err.message + ")";
        return;
      }
      this.busy = "import";
      try {
        const data = await api.post("/connectors/rest_api/import", raw);
        const connector = data.connector;
        const { form } = configToForm(connector.config, false);
        const secrets = rawSecretsFromImport(raw);
        for (const name of SECRET_FIELDS) if (!form.auth[name] && secrets[name]) form.auth[name] = secrets[name];
        this.form = form;
        this.storedSecrets = {};
        if (connector.name) this.name = connector.name;
        if (connector.refresh_freq !== undefined && connector.refresh_freq !== null) this.refreshFreq = text(connector.refresh_freq);
        if (connector.prune_freq) this.pruneFreq = text(connector.prune_freq);
        this.startNotes = data.warnings || [];
        this.start = "";
      } catch (err) {
        this.startError = err.message;
      } finally {
        this.busy = "";
      }
    },
  }));
});
