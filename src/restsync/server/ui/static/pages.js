// Page components: knowledge bases, one knowledge base, a document, search, tokens.
// Each reads the JSON API only (see app.js for `api` and `fmt`).
"use strict";

const POLL_MS = 1000;
const RUNNING = new Set(["queued", "running"]);

function statusClass(status) {
  if (status === "success") return "ok";
  if (status === "partial" || status === "truncated" || status === "cancelled" || status === "interrupted") return "warn";
  if (status === "failed") return "bad";
  if (RUNNING.has(status)) return "run";
  return "";
}

function progressText(run) {
  if (!run) return "";
  const parts = [];
  parts.push("page " + fmt.number(run.pages || 0));
  parts.push(fmt.number(run.documents_fetched || 0) + (run.expected_items ? " of " + fmt.number(run.expected_items) : "") + " documents");
  if (run.chunks_embedded) parts.push(fmt.number(run.chunks_embedded) + " chunks embedded");
  if (run.percent !== null && run.percent !== undefined) parts.push(Math.round(run.percent) + "%");
  if (run.eta_s !== null && run.eta_s !== undefined) parts.push("ETA " + fmt.duration(run.eta_s));
  return parts.join(" · ");
}

document.addEventListener("alpine:init", () => {
  Alpine.data("knowledgeBases", () => ({
    items: [],
    loading: true,
    error: "",
    creating: false,
    busy: false,
    formError: "",
    form: { name: "", description: "", embedding_model: "all-MiniLM-L6-v2", chunk_token_num: 200, chunk_overlap: 40 },
    async init() {
      await this.load();
    },
    async load() {
      try {
        this.items = await api.get("/datasets?page_size=1000&orderby=create_time&desc=true");
        this.error = "";
      } catch (err) {
        this.error = "Could not load the knowledge bases: " + err.message;
      } finally {
        this.loading = false;
      }
    },
    openCreate() {
      this.creating = true;
      this.$nextTick(() => this.$refs.name.focus());
    },
    async create() {
      this.formError = "";
      if (!this.form.name.trim()) { this.formError = "name: give the knowledge base a name"; return; }
      this.busy = true;
      try {
        const kb = await api.post("/datasets", {
          name: this.form.name.trim(),
          description: this.form.description,
          embedding_model: this.form.embedding_model,
          parser_config: { chunk_token_num: this.form.chunk_token_num, chunk_overlap: this.form.chunk_overlap },
        });
        location.assign("/kb/" + encodeURIComponent(kb.id));
      } catch (err) {
        this.formError = err.message;
        this.busy = false;
      }
    },
  }));

  Alpine.data("knowledgeBase", () => ({
    id: "",
    kb: null,
    error: "",
    actionError: "",
    connectors: [],
    progress: {},
    runs: [],
    docs: [],
    docsTotal: 0,
    docsPage: 1,
    docsPageSize: 20,
    docsQuery: "",
    timer: null,
    async init() {
      this.id = this.$el.dataset.datasetId;
      try {
        this.kb = await api.get("/datasets/" + encodeURIComponent(this.id));
        document.title = this.kb.name + " · restsync";
      } catch (err) {
        this.error = err.status === 404 ? "This knowledge base does not exist (it may have been deleted)." : err.message;
        return;
      }
      await Promise.all([this.loadConnectors(), this.loadDocuments()]);
    },
    destroy() {
      clearInterval(this.timer);
    },
    async refresh() {
      try { this.kb = await api.get("/datasets/" + encodeURIComponent(this.id)); } catch (err) { this.error = err.message; }
      await Promise.all([this.loadConnectors(), this.loadDocuments()]);
    },
    async loadConnectors() {
      try {
        const data = await api.get("/connectors?page_size=1000&dataset_id=" + encodeURIComponent(this.id));
        this.connectors = data.connectors;
        for (const c of this.connectors) {
          this.progress[c.id] = { running: c.running_run_id !== null && c.running_run_id !== undefined, run: c.last_sync };
        }
        await Promise.all([this.loadRuns(), ...this.connectors.map((c) => this.poll(c.id))]);
        this.ensurePolling();
      } catch (err) {
        this.actionError = "Could not load the data sources: " + err.message;
      }
    },
    async loadRuns() {
      const lists = await Promise.all(this.connectors.map((c) =>
        api.get("/connectors/" + encodeURIComponent(c.id) + "/logs?page_size=25").then((d) => d.logs).catch(() => [])));
      this.runs = lists.flat().sort((a, b) => (b.create_time || 0) - (a.create_time || 0)).slice(0, 25);
    },
    async loadDocuments() {
      const query = new URLSearchParams({ page: this.docsPage, page_size: this.docsPageSize });
      if (this.docsQuery.trim()) query.set("keywords", this.docsQuery.trim());
      try {
        const data = await api.get("/datasets/" + encodeURIComponent(this.id) + "/documents?" + query);
        this.docs = data.docs;
        this.docsTotal = data.total;
      } catch (err) {
        this.actionError = "Could not load the documents: " + err.message;
      }
    },
    // A running run's row shows the live counts (the stored ones lag behind).
    live(run) {
      const p = this.progress[run.connector_id];
      return p && p.running && p.run && p.run.id === run.id ? { ...run, ...p.run } : run;
    },
    connectorName(id) {
      const found = this.connectors.find((c) => c.id === id);
      return found ? found.name : id;
    },
    async poll(id) {
      const before = this.progress[id] && this.progress[id].running;
      try {
        this.progress[id] = await api.get("/connectors/" + encodeURIComponent(id) + "/progress");
      } catch (err) {
        return;
      }
      if (before && !this.progress[id].running) {
        // A run just ended: counts, history and documents changed.
        await this.refresh();
      }
    },
    ensurePolling() {
      const anyRunning = Object.values(this.progress).some((p) => p && p.running);
      if (anyRunning && !this.timer) {
        this.timer = setInterval(() => {
          for (const [id, p] of Object.entries(this.progress)) if (p && p.running) this.poll(id);
          if (!Object.values(this.progress).some((p) => p && p.running)) { clearInterval(this.timer); this.timer = null; }
        }, POLL_MS);
      }
    },
    async sync(connector, full) {
      this.actionError = "";
      try {
        const run = await api.post("/connectors/" + encodeURIComponent(connector.id) + "/sync", { full });
        this.progress[connector.id] = { running: true, run };
        this.ensurePolling();
      } catch (err) {
        this.actionError = err.message;
      }
    },
    async cancel(connector) {
      this.actionError = "";
      try {
        await api.post("/connectors/" + encodeURIComponent(connector.id) + "/cancel", {});
        await this.poll(connector.id);
      } catch (err) {
        this.actionError = err.message;
      }
    },
  }));

  Alpine.data("documentPage", () => ({
    datasetId: "",
    doc: null,
    kbName: "",
    chunks: [],
    total: 0,
    error: "",
    async init() {
      this.datasetId = this.$el.dataset.datasetId;
      const docId = this.$el.dataset.documentId;
      const base = "/datasets/" + encodeURIComponent(this.datasetId) + "/documents/" + encodeURIComponent(docId);
      try {
        const [data, kb] = await Promise.all([api.get(base + "/chunks?page_size=1000"), api.get("/datasets/" + encodeURIComponent(this.datasetId))]);
        this.doc = data.doc;
        this.chunks = data.chunks;
        this.total = data.total;
        this.kbName = kb.name;
        document.title = (this.doc.name || this.doc.id) + " · restsync";
      } catch (err) {
        this.error = err.status === 404 ? "This document is not in the knowledge base (a full sync may have removed it)." : err.message;
      }
    },
  }));

  Alpine.data("searchPage", () => ({
    kbs: [],
    selected: [],
    question: "",
    lastQuestion: "",
    filters: [],
    weight: "",
    pageSize: 10,
    hits: [],
    total: 0,
    searched: false,
    busy: false,
    error: "",
    nextKey: 0,
    async init() {
      const params = new URLSearchParams(location.search);
      this.selected = params.getAll("kb");
      this.question = params.get("q") || "";
      for (const spec of params.getAll("f")) {
        const [name, op, ...value] = spec.split("|");
        this.addFilter(name, op, value.join("|"));
      }
      try {
        this.kbs = await api.get("/datasets?page_size=1000");
      } catch (err) {
        this.error = "Could not load the knowledge bases: " + err.message;
      }
      if (this.question) await this.run();
    },
    addFilter(name = "", op = "is", value = "") {
      this.filters.push({ key: this.nextKey++, name, op, value });
    },
    kbName(id) {
      const found = this.kbs.find((kb) => kb.id === id);
      return found ? found.name : id;
    },
    submit() {
      // The URL holds the search, so it can be bookmarked and the back button works.
      const params = new URLSearchParams();
      params.set("q", this.question);
      for (const id of this.selected) params.append("kb", id);
      for (const f of this.filters) if (f.name.trim()) params.append("f", [f.name.trim(), f.op, f.value].join("|"));
      history.pushState(null, "", "/search?" + params);
      return this.run();
    },
    async run() {
      this.error = "";
      if (!this.question.trim()) { this.error = "question: type something to search for"; return; }
      this.busy = true;
      const conditions = this.filters.filter((f) => f.name.trim())
        .map((f) => ({ name: f.name.trim(), comparison_operator: f.op, value: f.value }));
      const body = {
        question: this.question.trim(),
        dataset_ids: this.selected,
        page: 1,
        page_size: this.pageSize,
        similarity_threshold: 0,
        highlight: false,
      };
      if (conditions.length) body.metadata_condition = { logic: "and", conditions };
      if (this.weight !== "") body.vector_similarity_weight = Number(this.weight);
      try {
        const data = await api.post("/retrieval", body);
        this.hits = data.chunks;
        this.total = data.total;
        this.lastQuestion = body.question;
        this.searched = true;
      } catch (err) {
        this.error = err.message;
      } finally {
        this.busy = false;
      }
    },
  }));

  Alpine.data("tokensPage", () => ({
    tokens: [],
    me: null,
    name: "",
    created: null,
    copied: false,
    busy: false,
    error: "",
    async init() {
      await this.load();
      try { this.me = await api.get("/auth/me"); } catch (err) { /* shown by the nav */ }
    },
    async load() {
      try { this.tokens = await api.get("/tokens"); } catch (err) { this.error = err.message; }
    },
    async create() {
      this.error = "";
      this.copied = false;
      if (!this.name.trim()) { this.error = "name: give the token a name (who or what uses it)"; return; }
      this.busy = true;
      try {
        this.created = await api.post("/tokens", { name: this.name.trim() });
        this.name = "";
        await this.load();
      } catch (err) {
        this.error = err.message;
      } finally {
        this.busy = false;
      }
    },
    async copy() {
      try { await navigator.clipboard.writeText(this.created.token); this.copied = true; } catch (err) { this.copied = false; }
    },
    async revoke(token) {
      const self = this.me && this.me.token_id === token.id;
      if (!confirm("Revoke the token “" + token.name + "”?" + (self ? " You are signed in with it: you will be signed out." : ""))) return;
      try {
        await api.del("/tokens/" + encodeURIComponent(token.id));
        if (self) { location.assign("/login"); return; }
        await this.load();
      } catch (err) {
        this.error = err.message;
      }
    },
  }));
});
