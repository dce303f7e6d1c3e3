/* ibmq-local dashboard: a static page over the service's REST API (no build step, no CDN).
 *
 * Sign-in: the user pastes an API token; POST /api/users/loginWithToken turns it into an
 * access token, kept in this tab's sessionStorage and sent as X-Access-Token. No token is
 * ever put in a URL. Results are read the protocol's way: resultDownloadUrl, then a GET of
 * that presigned object-storage URL (without any token), then resultDownloaded.
 */
"use strict";

(function dashboard() {
  const TOKEN_KEY = "ibmq-local.accessToken";
  const PROJECT_KEY = "ibmq-local.project";
  const FINAL = ["COMPLETED", "CANCELLED", "ERROR_CREATING_JOB", "ERROR_VALIDATING_JOB",
    "ERROR_RUNNING_JOB", "ERROR_TRANSPILING_JOB"];
  const WITH_RESULT = new Set(["COMPLETED", "ERROR_RUNNING_JOB"]);
  const JOB_PAGE = 50;
  const MAX_BARS = 64;
  const POLL_ACTIVE_MS = 1500;
  const POLL_IDLE_MS = 5000;
  const BACKEND_POLL_MS = 15000;
  const SVG_NS = "http://www.w3.org/2000/svg";

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    me: null,
    projects: [],
    project: null,
    backends: [],
    selectedJob: null,
    selectedStatus: null,
    results: new Map(),
    listingSeq: 0,
    detailSeq: 0,
    deviceSeq: 0,
    timers: { jobs: null, backends: null },
  };

  const $ = (id) => document.getElementById(id);

  // -- small DOM helpers (text only: nothing from the API is parsed as HTML) ---------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svgEl(tag, attrs, children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else node.setAttribute(key, String(value));
    }
  }

  function append(node, children) {
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function say(text, isError) {
    const line = $("status-line");
    line.textContent = text;
    line.classList.toggle("error", Boolean(isError));
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // -- the API ------------------------------------------------------------------------------

  class ApiFailure extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** A JSON call to the service's API (path under /api); retried on 429, 5xx and dropped
   * connections, as the SDK does (the service may run with fault injection). */
  async function api(path, options) {
    const method = (options && options.method) || "GET";
    const headers = { Accept: "application/json" };
    if (state.token) headers["X-Access-Token"] = state.token;
    let body;
    if (options && options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    return requestJson("/api" + path, { method, headers, body }, path);
  }

  async function requestJson(url, init, what) {
    const request = Object.assign(
      { cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" }, init);
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        response = await fetch(url, request);
      } catch (error) {
        if (attempt < 4) { await sleep(200 * 2 ** attempt); continue; }
        throw new ApiFailure(0, `${what}: the service did not answer`);
      }
      if ((response.status === 429 || response.status >= 500) && attempt < 4) {
        await sleep(200 * 2 ** attempt);
        continue;
      }
      let payload = null;
      try { payload = await response.json(); } catch (error) { payload = null; }
      if (response.ok) return payload;
      const detail = payload && payload.error && payload.error.message;
      const failure = new ApiFailure(response.status, detail || `${what}: HTTP ${response.status}`);
      if (response.status === 401 && state.token && !url.endsWith("/users/loginWithToken")) {
        signOut("Your session expired: sign in again.");
      }
      throw failure;
    }
  }

  function hgp() {
    const p = state.project;
    const part = encodeURIComponent;
    return `/Network/${part(p.hub)}/Groups/${part(p.group)}/Projects/${part(p.project)}`;
  }

  // -- sign in / out ------------------------------------------------------------------------

  function showSignIn(message) {
    $("dashboard").hidden = true;
    $("account").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
    $("api-token").focus();
  }

  function signOut(message) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    stopPolling();
    state.results.clear();
    state.selectedJob = null;
    showSignIn(message);
  }

  async function signIn(event) {
    event.preventDefault();
    const input = $("api-token");
    const apiToken = input.value.trim();
    if (!apiToken) return;
    $("sign-in-button").disabled = true;
    $("sign-in-error").textContent = "";
    try {
      const reply = await api("/users/loginWithToken", { method: "POST", body: { apiToken } });
      input.value = "";
      state.token = reply.id;
      sessionStorage.setItem(TOKEN_KEY, reply.id);
      await start();
    } catch (error) {
      $("sign-in-error").textContent = error.status === 401
        ? "That API token is not one of this service's." : error.message;
    } finally {
      $("sign-in-button").disabled = false;
    }
  }

  async function start() {
    state.me = await api("/users/me");
    const network = await api("/Network");
    state.projects = projectsOf(network);
    if (state.projects.length === 0) {
      signOut("This user belongs to no project.");
      return;
    }
    const remembered = sessionStorage.getItem(PROJECT_KEY);
    state.project = state.projects.find((p) => p.key === remembered) || state.projects[0];
    $("user-id").textContent = state.me.id;
    const select = $("project-select");
    select.replaceChildren(...state.projects.map((p) =>
      el("option", { value: p.key, text: p.key, selected: p === state.project })));
    $("sign-in").hidden = true;
    $("account").hidden = false;
    $("dashboard").hidden = false;
    await openProject();
  }

  /** The hub tree (protocol 1.4) as a list, the default project first. */
  function projectsOf(network) {
    const projects = [];
    for (const hub of network || []) {
      for (const [group, groupBody] of Object.entries(hub.groups || {})) {
        for (const [project, body] of Object.entries(groupBody.projects || {})) {
          projects.push({
            hub: hub.name, group, project, key: `${hub.name}/${group}/${project}`,
            isDefault: Boolean(body && body.isDefault),
          });
        }
      }
    }
    projects.sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
    return projects;
  }

  async function openProject() {
    stopPolling();
    state.selectedJob = null;
    $("job-detail").hidden = true;
    say(`Loading ${state.project.key}…`);
    state.backends = await api(`${hgp()}/devices/v/1`);
    renderBackends();
    fillBackendChoices();
    const device = showDevice().catch((error) => {
      if (error.status !== 401) say(`Device: ${error.message}`, true);
    });
    await Promise.all([refreshJobs(), refreshBackendStatuses(), device]);
    scheduleJobs();
    scheduleBackends();
  }

  // -- backends -----------------------------------------------------------------------------

  function renderBackends() {
    const rows = state.backends.map((config) => el("tr", { "data-backend": config.backend_name }, [
      el("td", { text: config.backend_name }),
      el("td", { class: "num", text: config.n_qubits }),
      el("td", { class: "status" }, [el("span", { class: "dot" }), "…"]),
      el("td", { class: "num queue", text: "" }),
    ]));
    $("backend-rows").replaceChildren(...rows);
  }

  function fillBackendChoices() {
    const names = state.backends.map((c) => c.backend_name);
    const filter = $("filter-backend");
    const kept = filter.value;
    filter.replaceChildren(el("option", { value: "", text: "any" }),
      ...names.map((n) => el("option", { value: n, text: n, selected: n === kept })));
    const devices = state.backends.filter((c) => !c.simulator);
    const select = $("device-select");
    const current = select.value;
    select.replaceChildren(...devices.map((c) => el("option", {
      value: c.backend_name, text: `${c.backend_name} (${c.n_qubits} qubits)`,
      selected: c.backend_name === current,
    })));
  }

  async function refreshBackendStatuses() {
    const queue = state.backends.map((c) => c.backend_name);
    const project = state.project;
    const worker = async () => {
      while (queue.length > 0 && project === state.project) {
        const name = queue.shift();
        try {
          showBackendStatus(name, await api(`${hgp()}/devices/${encodeURIComponent(name)}/queue/status`));
        } catch (error) {
          if (error.status === 401) return;
          showBackendStatus(name, null);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
  }

  function showBackendStatus(name, status) {
    const row = [...$("backend-rows").children].find((r) => r.dataset.backend === name);
    if (!row) return;
    const cell = row.querySelector(".status");
    let kind = "down";
    let text = "unknown";
    if (status) {
      text = status.status || (status.state ? "active" : "offline");
      kind = !status.state ? "down" : status.status === "active" ? "ok" : "paused";
    }
    cell.replaceChildren(el("span", { class: `dot ${kind}` }), text);
    row.dataset.status = text;
    row.querySelector(".queue").textContent = status ? String(Math.max(status.lengthQueue || 0, 0)) : "";
  }

  // -- jobs -----------------------------------------------------------------------------------

  function jobFilter() {
    const where = {};
    if (!$("filter-shared").checked) where.userId = state.me.id;
    const status = $("filter-status").value;
    if (status === "active") where.status = { nin: FINAL };
    else if (status === "ERROR") where.status = { regexp: "^ERROR" };
    else if (status) where.status = status;
    const backend = $("filter-backend").value;
    if (backend) where["backend.name"] = backend;
    const name = $("filter-name").value.trim();
    if (name) where.name = { ilike: `%${name}%` };
    const filter = { order: "creationDate DESC", limit: JOB_PAGE, skip: 0 };
    if (Object.keys(where).length > 0) filter.where = where;
    return filter;
  }

  async function refreshJobs() {
    const seq = ++state.listingSeq;
    const query = encodeURIComponent(JSON.stringify(jobFilter()));
    let jobs;
    try {
      jobs = await api(`${hgp()}/Jobs/status/v/1?filter=${query}`);
    } catch (error) {
      if (seq === state.listingSeq && error.status !== 401) say(`Jobs: ${error.message}`, true);
      return false;
    }
    if (seq !== state.listingSeq) return false; // the filters changed meanwhile
    renderJobs(jobs);
    say(`Updated ${new Date().toLocaleTimeString()}`);
    const listed = jobs.find((job) => job.id === state.selectedJob);
    const stale = listed ? listed.status !== state.selectedStatus
      : state.selectedJob && !FINAL.includes(state.selectedStatus);
    if (stale) {
      try {
        await showJob(state.selectedJob);
      } catch (error) {
        if (error.status !== 401) say(`Job ${state.selectedJob}: ${error.message}`, true);
      }
    }
    return jobs.some((job) => !FINAL.includes(job.status));
  }

  function statusClass(status) {
    if (status === "COMPLETED") return "done";
    if (status === "CANCELLED") return "cancelled";
    if (status.startsWith("ERROR")) return "error";
    return "active";
  }

  function renderJobs(jobs) {
    const rows = jobs.map((job) => {
      const backend = (job.backend && job.backend.name) || "";
      const row = el("tr", {
        "data-job-id": job.id, "data-status": job.status,
        class: job.id === state.selectedJob ? "selected" : null,
      }, [
        el("td", {}, [el("span", { class: `badge ${statusClass(job.status)}`, text: job.status })]),
        el("td", { class: "name", text: job.name || "" }),
        el("td", { text: backend }),
        el("td", { text: formatDate(job.creationDate) }),
        el("td", { class: "mono", text: job.id }),
      ]);
      row.addEventListener("click", () => selectJob(job.id));
      return row;
    });
    $("job-rows").replaceChildren(...rows);
    $("jobs-note").textContent = jobs.length === 0 ? "No job matches."
      : jobs.length === JOB_PAGE ? `The ${JOB_PAGE} newest matching jobs.` : `${jobs.length} jobs.`;
  }

  function formatDate(text) {
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? String(text || "")
      : date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
  }

  function selectJob(jobId) {
    state.selectedJob = jobId;
    for (const row of $("job-rows").children) {
      row.classList.toggle("selected", row.dataset.jobId === jobId);
    }
    showJob(jobId).catch((error) => say(`Job ${jobId}: ${error.message}`, true));
  }

  async function showJob(jobId) {
    const seq = ++state.detailSeq;
    const doc = await api(`${hgp()}/Jobs/${encodeURIComponent(jobId)}/v/1`);
    let result = state.results.get(jobId) || null;
    if (!result && WITH_RESULT.has(doc.status)) {
      result = await downloadResult(jobId);
      state.results.set(jobId, result);
    }
    if (seq !== state.detailSeq || state.selectedJob !== jobId) return;
    state.selectedStatus = doc.status;
    renderJob(doc, result);
  }

  /** The Result JSON through the protocol's object storage (4.4): no token goes to it. */
  async function downloadResult(jobId) {
    const base = `${hgp()}/Jobs/${encodeURIComponent(jobId)}`;
    const link = await api(`${base}/resultDownloadUrl`);
    const url = new URL(link.url, window.location.href);
    if (url.origin !== window.location.origin) {
      throw new ApiFailure(0, `the result is stored elsewhere (${url.origin})`);
    }
    const result = await requestJson(url.href, { method: "GET" }, "result download");
    api(`${base}/resultDownloaded`, { method: "POST" }).catch(() => undefined);
    return result;
  }

  function renderJob(doc, result) {
    $("job-detail").hidden = false;
    $("detail-id").textContent = doc.id;
    const fields = [
      ["Status", el("span", { class: `badge ${statusClass(doc.status)}`, id: "detail-status", text: doc.status })],
      ["Backend", (doc.backend && doc.backend.name) || ""],
      ["Name", doc.name || "—"],
      ["Created", formatDate(doc.creationDate)],
      ["Owner", `${doc.userId || "?"} in ${hubPath(doc.hubInfo)}`],
    ];
    if (doc.tags && doc.tags.length) fields.push(["Tags", doc.tags.join(", ")]);
    if (doc.shots) fields.push(["Shots", doc.shots]);
    for (const [step, when] of Object.entries(doc.timePerStep || {})) {
      fields.push([step, formatDate(when)]);
    }
    $("detail-fields").replaceChildren(...fields.flatMap(([name, value]) =>
      [el("dt", { text: name }), el("dd", {}, [value])]));
    const message = errorMessage(doc, result);
    $("detail-error").hidden = !message;
    $("detail-error").textContent = message || "";
    const charts = [];
    if (result && Array.isArray(result.results)) {
      result.results.forEach((experiment, index) => charts.push(histogram(experiment, index)));
    } else if (!FINAL.includes(doc.status)) {
      charts.push(el("p", { class: "note", text: "The counts appear here when the job completes." }));
    }
    $("histograms").replaceChildren(...charts);
  }

  function hubPath(info) {
    if (!info) return "?";
    const name = (part) => (part && part.name) || "?";
    return `${name(info.hub)}/${name(info.group)}/${name(info.project)}`;
  }

  /** Why a job failed, as qiskit-ibmq-provider words it (protocol 4.6). */
  function errorMessage(doc, result) {
    const lines = [];
    if (doc.error && doc.error.message) {
      lines.push(`${doc.error.message}. Error code: ${doc.error.code}.`);
    }
    const failed = result && Array.isArray(result.results)
      ? result.results.map((r, i) => [r, i]).filter(([r]) => r && r.success === false) : [];
    if (failed.length) {
      lines.push("The following experiments failed:");
      for (const [r, i] of failed) lines.push(`Experiment ${i}: ${r.status || "failed"}`);
    } else if (result && result.error && result.error.message) {
      lines.push(`${result.error.message}. Error code: ${result.error.code}.`);
    }
    if (lines.length === 0 && doc.status.startsWith("ERROR")) lines.push(doc.status);
    return lines.join("\n");
  }

  // -- histograms -----------------------------------------------------------------------------

  /** A counts key ("0x5") as qiskit prints it: binary, memory_slots wide, registers spaced. */
  function formatOutcome(key, header) {
    let bits;
    try {
      bits = BigInt(key).toString(2);
    } catch (error) {
      return String(key);
    }
    const sizes = Array.isArray(header.creg_sizes) ? header.creg_sizes.map((r) => Number(r[1])) : [];
    const width = Number(header.memory_slots) || sizes.reduce((a, b) => a + b, 0);
    bits = bits.padStart(width, "0");
    if (sizes.length > 1 && sizes.reduce((a, b) => a + b, 0) === bits.length) {
      const parts = [];
      let at = 0;
      for (const size of sizes.slice().reverse()) {
        parts.push(bits.slice(at, at + size));
        at += size;
      }
      return parts.join(" ");
    }
    return bits;
  }

  function histogram(experiment, index) {
    const header = experiment.header || {};
    const title = `Experiment ${index}${header.name ? `: ${header.name}` : ""}`;
    const counts = experiment.data && experiment.data.counts;
    const box = el("div", { class: "histogram", "data-experiment": index }, [el("h3", { text: title })]);
    if (!counts || Object.keys(counts).length === 0) {
      box.append(el("p", { class: "note", text: experiment.success === false
        ? `No counts: ${experiment.status || "the experiment failed"}.` : "No counts in this result." }));
      return box;
    }
    let bars = Object.entries(counts).map(([key, count]) => [formatOutcome(key, header), Number(count)]);
    const total = bars.reduce((sum, [, count]) => sum + count, 0);
    const hidden = Math.max(bars.length - MAX_BARS, 0);
    if (hidden) bars = bars.sort((a, b) => b[1] - a[1]).slice(0, MAX_BARS);
    bars.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

    const longest = Math.max(...bars.map(([label]) => label.length));
    const slot = Math.max(22, Math.min(60, 520 / bars.length));
    const top = 18;
    const plot = 160;
    const labelSpace = longest > 4 ? Math.min(6.5 * longest + 10, 160) : 18;
    const left = 44;
    const width = left + slot * bars.length + 10;
    const height = top + plot + labelSpace + 6;
    const peak = Math.max(...bars.map(([, count]) => count));
    const chart = svgEl("svg", {
      viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "histogram-chart",
      "aria-label": `Counts of ${title}`,
    });
    chart.append(svgEl("line", { class: "axis", x1: left, y1: top + plot, x2: width - 4, y2: top + plot }));
    chart.append(svgEl("line", { class: "axis", x1: left, y1: top, x2: left, y2: top + plot }));
    for (const fraction of [0, 0.5, 1]) {
      const y = top + plot - fraction * plot;
      chart.append(svgEl("text", { x: left - 4, y: y + 4, "text-anchor": "end",
        text: `${Math.round((fraction * peak / total) * 100)}%` }));
    }
    bars.forEach(([label, count], i) => {
      const h = peak > 0 ? (count / peak) * plot : 0;
      const x = left + i * slot + slot * 0.15;
      const w = slot * 0.7;
      const probability = total > 0 ? count / total : 0;
      chart.append(svgEl("rect", {
        class: "bar", x, y: top + plot - h, width: w, height: Math.max(h, 0.5),
        "data-outcome": label, "data-count": count,
      }, [svgEl("title", { text: `${label}: ${count} (${(probability * 100).toFixed(1)}%)` })]));
      chart.append(svgEl("text", { class: "count", x: x + w / 2, y: top + plot - h - 3,
        "text-anchor": "middle", text: count }));
      const lx = x + w / 2;
      const ly = top + plot + 12;
      chart.append(svgEl("text", longest > 4
        ? { x: lx, y: ly, "text-anchor": "end", transform: `rotate(-60 ${lx} ${ly})`, class: "mono", text: label }
        : { x: lx, y: ly, "text-anchor": "middle", class: "mono", text: label }));
    });
    box.append(chart);
    box.append(el("p", { class: "note", text: `${total} shots, ${Object.keys(counts).length} outcomes`
      + (hidden ? ` (the ${MAX_BARS} most frequent shown)` : "") }));
    return box;
  }

  // -- device coupling map ----------------------------------------------------------------

  async function showDevice() {
    const name = $("device-select").value;
    const seq = ++state.deviceSeq;
    const config = state.backends.find((c) => c.backend_name === name);
    if (!config) {
      $("coupling-map").replaceChildren(el("p", { class: "note", text: "No device in this project." }));
      $("device-figures").replaceChildren();
      return;
    }
    const properties = await api(`${hgp()}/devices/${encodeURIComponent(name)}/properties?version=1`);
    if (seq !== state.deviceSeq) return;
    const figures = deviceFigures(config, properties || {});
    $("coupling-map").replaceChildren(couplingMap(config, figures));
    $("device-figures").replaceChildren(figureTable(figures));
  }

  function param(list, wanted) {
    const item = (list || []).find((p) => p && p.name === wanted);
    return item && typeof item.value === "number" ? item.value : null;
  }

  /** Per qubit (readout error, T1, T2, frequency) and per coupled pair (two-qubit gate
   * errors, both directions) from the backend's properties. */
  function deviceFigures(config, properties) {
    const n = Number(config.n_qubits) || 0;
    const qubits = Array.from({ length: n }, (_, q) => {
      const list = (properties.qubits || [])[q] || [];
      return { readout: param(list, "readout_error"), t1: param(list, "T1"),
        t2: param(list, "T2"), frequency: param(list, "frequency") };
    });
    const pairs = new Map();
    for (const [a, b] of config.coupling_map || []) {
      const key = a < b ? `${a}-${b}` : `${b}-${a}`;
      if (!pairs.has(key)) pairs.set(key, { a: Math.min(a, b), b: Math.max(a, b), gates: [] });
    }
    for (const gate of properties.gates || []) {
      if (!gate || !Array.isArray(gate.qubits) || gate.qubits.length !== 2) continue;
      const [a, b] = gate.qubits;
      const pair = pairs.get(a < b ? `${a}-${b}` : `${b}-${a}`);
      const error = param(gate.parameters, "gate_error");
      if (pair && error !== null) pair.gates.push({ gate: gate.gate, qubits: [a, b], error });
    }
    for (const pair of pairs.values()) {
      pair.error = pair.gates.length
        ? pair.gates.reduce((sum, g) => sum + g.error, 0) / pair.gates.length : null;
    }
    return { name: config.backend_name, qubits, pairs: [...pairs.values()],
      date: properties.last_update_date || null };
  }

  /** Good (low error) to bad (high error): green, yellow, red. */
  function colour(value, low, high) {
    if (value === null) return null;
    const t = high > low ? Math.min(Math.max((value - low) / (high - low), 0), 1) : 0;
    const stops = [[26, 152, 80], [254, 224, 139], [215, 48, 39]];
    const [from, to, u] = t < 0.5 ? [stops[0], stops[1], t * 2] : [stops[1], stops[2], (t - 0.5) * 2];
    const mix = from.map((c, i) => Math.round(c + (to[i] - c) * u));
    return `#${mix.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
  }

  function range(values) {
    const known = values.filter((v) => v !== null && Number.isFinite(v));
    return known.length ? [Math.min(...known), Math.max(...known)] : [0, 0];
  }

  /** The colour scale's span: the lowest value to the 95th percentile (the highest, under
   * 20 values), so that one dead qubit or coupler (an error of 1) does not turn every other
   * one green. */
  function colourRange(values) {
    const known = values.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
    if (!known.length) return [0, 0];
    const top = known.length < 20 ? known.length - 1 : Math.floor(0.95 * (known.length - 1));
    return [known[0], known[top]];
  }

  function couplingMap(config, figures) {
    const n = figures.qubits.length;
    const edges = figures.pairs.map((p) => [p.a, p.b]);
    const coords = Array.isArray(config.coords) && config.coords.length === n
      ? config.coords.map(([x, y]) => [Number(x), Number(y)]) : layout(n, edges);
    const xs = coords.map((c) => c[0]);
    const ys = coords.map((c) => c[1]);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const spanX = maxX - minX;
    const spanY = maxY - minY;
    const unit = nearestDistance(coords) || 1;
    const scale = Math.max(14, Math.min(56, (620 * unit) / Math.max(spanX, spanY / 0.8, unit))) / unit;
    const r = Math.max(5, Math.min(14, unit * scale * 0.32));
    const pad = r + 8;
    const width = spanX * scale + 2 * pad;
    const height = spanY * scale + 2 * pad;
    const at = (q) => [pad + (coords[q][0] - minX) * scale, pad + (coords[q][1] - minY) * scale];

    const [readLow, readHigh] = colourRange(figures.qubits.map((q) => q.readout));
    const [gateLow, gateHigh] = colourRange(figures.pairs.map((p) => p.error));
    const chart = svgEl("svg", {
      viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "coupling-map",
      "data-backend": figures.name, "aria-label": `Coupling map of ${figures.name}`,
    });
    for (const pair of figures.pairs) {
      const [x1, y1] = at(pair.a);
      const [x2, y2] = at(pair.b);
      const stroke = colour(pair.error, gateLow, gateHigh);
      const detail = pair.gates.map((g) => `${g.gate} ${g.qubits.join("→")}: ${formatError(g.error)}`);
      chart.append(svgEl("line", {
        class: stroke ? "edge" : "edge missing", x1, y1, x2, y2, stroke: stroke || "#c6c6c6",
        "stroke-width": Math.max(2, r * 0.55), "data-qubits": `${pair.a}-${pair.b}`,
        "data-error": pair.error === null ? null : pair.error,
      }, [svgEl("title", { text: [`qubits ${pair.a}–${pair.b}`, ...detail].join("\n") })]));
    }
    figures.qubits.forEach((q, index) => {
      const [cx, cy] = at(index);
      const fill = colour(q.readout, readLow, readHigh);
      const lines = [`qubit ${index}`, `readout error ${formatError(q.readout)}`,
        `T1 ${formatNumber(q.t1)} µs`, `T2 ${formatNumber(q.t2)} µs`,
        `frequency ${formatNumber(q.frequency)} GHz`];
      chart.append(svgEl("circle", {
        class: fill ? "qubit" : "qubit missing", cx, cy, r, fill: fill || "#c6c6c6",
        "data-qubit": index, "data-readout-error": q.readout === null ? null : q.readout,
      }, [svgEl("title", { text: lines.join("\n") })]));
      if (r >= 9) {
        chart.append(svgEl("text", { class: "qubit-label", x: cx, y: cy + 3.5,
          "text-anchor": "middle", text: index }));
      }
    });
    return chart;
  }

  function nearestDistance(coords) {
    let best = Infinity;
    for (let i = 0; i < coords.length; i += 1) {
      for (let j = i + 1; j < coords.length; j += 1) {
        const d = Math.hypot(coords[i][0] - coords[j][0], coords[i][1] - coords[j][1]);
        if (d > 1e-9 && d < best) best = d;
      }
    }
    return Number.isFinite(best) ? best : null;
  }

  /** Positions for a device without coordinates: classical multidimensional scaling of the
   * graph distances, refined by stress majorization (edges about one unit long). */
  function layout(n, edges) {
    if (n === 0) return [];
    if (n === 1) return [[0, 0]];
    const neighbours = Array.from({ length: n }, () => []);
    for (const [a, b] of edges) {
      if (a < n && b < n) { neighbours[a].push(b); neighbours[b].push(a); }
    }
    const dist = Array.from({ length: n }, (_, source) => {
      const d = new Array(n).fill(Infinity);
      d[source] = 0;
      const queue = [source];
      for (let head = 0; head < queue.length; head += 1) {
        const u = queue[head];
        for (const v of neighbours[u]) if (d[v] === Infinity) { d[v] = d[u] + 1; queue.push(v); }
      }
      return d;
    });
    let far = 1;
    for (const row of dist) for (const d of row) if (d !== Infinity && d > far) far = d;
    for (const row of dist) for (let j = 0; j < n; j += 1) if (row[j] === Infinity) row[j] = far + 1;

    // Classical MDS: the two leading eigenvectors of the double-centred squared distances.
    const sq = dist.map((row) => row.map((d) => d * d));
    const rowMean = sq.map((row) => row.reduce((a, b) => a + b, 0) / n);
    const all = rowMean.reduce((a, b) => a + b, 0) / n;
    const B = sq.map((row, i) => row.map((d, j) => -0.5 * (d - rowMean[i] - rowMean[j] + all)));
    const axes = [];
    for (let k = 0; k < 2; k += 1) {
      let v = Array.from({ length: n }, (_, i) => Math.cos(i * (k + 1.3)) + 0.01 * i);
      let lambda = 0;
      for (let iter = 0; iter < 200; iter += 1) {
        let w = B.map((row) => row.reduce((s, b, j) => s + b * v[j], 0));
        for (const [axis, value] of axes) {
          const dot = axis.reduce((s, a, j) => s + a * v[j], 0);
          w = w.map((x, j) => x - value * dot * axis[j]);
        }
        const norm = Math.hypot(...w) || 1;
        lambda = norm;
        v = w.map((x) => x / norm);
      }
      axes.push([v, lambda]);
    }
    const pos = Array.from({ length: n }, (_, i) =>
      axes.map(([v, lambda]) => v[i] * Math.sqrt(Math.max(lambda, 1e-9))));

    // Stress majorization, weights 1/d².
    for (let iter = 0; iter < 150; iter += 1) {
      for (let i = 0; i < n; i += 1) {
        let sx = 0;
        let sy = 0;
        let sw = 0;
        for (let j = 0; j < n; j += 1) {
          if (i === j) continue;
          const d = dist[i][j];
          const w = 1 / (d * d);
          const dx = pos[i][0] - pos[j][0];
          const dy = pos[i][1] - pos[j][1];
          const len = Math.hypot(dx, dy) || 1e-6;
          sx += w * (pos[j][0] + (d * dx) / len);
          sy += w * (pos[j][1] + (d * dy) / len);
          sw += w;
        }
        pos[i] = [sx / sw, sy / sw];
      }
    }
    return pos;
  }

  function formatError(value) {
    return value === null ? "—" : value < 0.001 ? value.toExponential(2) : value.toFixed(4);
  }

  function formatNumber(value) {
    return value === null ? "—" : value.toFixed(value >= 100 ? 0 : 2);
  }

  function median(values) {
    const known = values.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
    if (!known.length) return null;
    const mid = Math.floor(known.length / 2);
    return known.length % 2 ? known[mid] : (known[mid - 1] + known[mid]) / 2;
  }

  function figureTable(figures) {
    const rows = [
      ["Readout error", figures.qubits.map((q) => q.readout), formatError, "qubit colour"],
      ["Two-qubit gate error", figures.pairs.map((p) => p.error), formatError, "edge colour"],
      ["T1 (µs)", figures.qubits.map((q) => q.t1), formatNumber, ""],
      ["T2 (µs)", figures.qubits.map((q) => q.t2), formatNumber, ""],
    ];
    const body = rows.map(([name, values, format, shown]) => {
      const [low, high] = range(values);
      const known = values.some((v) => v !== null);
      return el("tr", {}, [
        el("td", { text: name }),
        el("td", { class: "num", text: known ? format(low) : "—" }),
        el("td", { class: "num", text: known ? format(median(values)) : "—" }),
        el("td", { class: "num", text: known ? format(high) : "—" }),
        el("td", { class: "note", text: shown }),
      ]);
    });
    const table = el("table", {}, [
      el("thead", {}, [el("tr", {}, ["", "min", "median", "max", ""].map((h) => el("th", { text: h })))]),
      el("tbody", {}, body),
    ]);
    const note = figures.date
      ? `Calibration of ${formatDate(figures.date)}. Colours run from green (the lowest error)`
        + " through yellow to red (the highest, or the 95th percentile and above)."
      : "This backend has no calibration data.";
    return el("div", {}, [table, el("p", { class: "note", text: note })]);
  }

  // -- polling ---------------------------------------------------------------------------

  function stopPolling() {
    clearTimeout(state.timers.jobs);
    clearTimeout(state.timers.backends);
    state.timers.jobs = null;
    state.timers.backends = null;
  }

  function scheduleJobs(busy) {
    clearTimeout(state.timers.jobs);
    state.timers.jobs = setTimeout(async () => {
      if (!state.token) return;
      const active = document.hidden ? busy : await refreshJobs();
      if (state.token) scheduleJobs(active);
    }, busy === false ? POLL_IDLE_MS : POLL_ACTIVE_MS);
  }

  function scheduleBackends() {
    clearTimeout(state.timers.backends);
    state.timers.backends = setTimeout(async () => {
      if (!state.token) return;
      if (!document.hidden) await refreshBackendStatuses();
      if (state.token) scheduleBackends();
    }, BACKEND_POLL_MS);
  }

  function guarded(action) {
    return (event) => {
      Promise.resolve(action(event)).catch((error) => {
        if (error.status !== 401) say(error.message, true);
      });
    };
  }

  // -- wiring -------------------------------------------------------------------------------

  function init() {
    $("sign-in-form").addEventListener("submit", guarded(signIn));
    $("sign-out").addEventListener("click", () => signOut(""));
    $("project-select").addEventListener("change", guarded(async () => {
      state.project = state.projects.find((p) => p.key === $("project-select").value) || state.project;
      sessionStorage.setItem(PROJECT_KEY, state.project.key);
      state.results.clear();
      await openProject();
    }));
    const refilter = guarded(async () => { await refreshJobs(); scheduleJobs(); });
    $("job-filters").addEventListener("submit", (event) => event.preventDefault());
    for (const id of ["filter-status", "filter-backend", "filter-shared"]) {
      $(id).addEventListener("change", refilter);
    }
    let typing = null;
    $("filter-name").addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(refilter, 250);
    });
    $("device-select").addEventListener("change", guarded(showDevice));
    if (state.token) {
      start().catch((error) => {
        if (error.status !== 401) signOut(error.message);
      });
    } else {
      showSignIn("");
    }
  }

  init();
})();
