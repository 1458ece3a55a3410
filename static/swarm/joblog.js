// Live job log: append lines from /ws/jobs/<id>/?after=<seq> as text (never HTML), keep
// scrolling unless the user scrolled up, reconnect with the last seq we have.
(() => {
  "use strict";
  const log = document.getElementById("job-log");
  if (!log) return;
  const conn = document.getElementById("log-connection");
  let lastSeq = Number(log.dataset.lastSeq || 0);
  let renderedStatus = document.getElementById("job-header")?.dataset.status;
  let renderedProgress = null;
  let finished = log.dataset.active !== "true";
  let attempt = 0;

  const setState = (state, text) => {
    conn.dataset.state = state;
    conn.textContent = text;
  };
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 48;

  function append(lines) {
    const stick = nearBottom();
    const fragment = document.createDocumentFragment();
    for (const [seq, stream, text] of lines) {
      if (seq <= lastSeq) continue; // already shown: never double a line
      const span = document.createElement("span");
      span.className = `line ${stream}`;
      span.dataset.seq = seq;
      span.textContent = `${text}\n`;
      fragment.appendChild(span);
      lastSeq = seq;
    }
    log.appendChild(fragment);
    log.dataset.lastSeq = lastSeq;
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function onStatus(message) {
    finished = !message.active;
    // Started from a form that wants the result (a merge): go there once it is verified.
    if (message.status === "succeeded" && message.result_url && log.dataset.follow === "1") {
      window.location.assign(message.result_url);
      return;
    }
    const progress = JSON.stringify(message.progress || {});
    const progressChanged = renderedProgress !== null && progress !== renderedProgress;
    renderedProgress = progress;
    if (message.status !== renderedStatus || progressChanged) {
      renderedStatus = message.status;
      if (window.htmx) window.htmx.trigger("#job-header", "refresh"); // lanes live there
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(
      `${scheme}://${location.host}/ws/jobs/${log.dataset.job}/?after=${lastSeq}`,
    );
    setState("connecting", attempt ? "reconnecting…" : "connecting…");
    socket.onopen = () => {
      attempt = 0;
      setState("live", "live");
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "lines") append(message.lines);
      else if (message.type === "status") onStatus(message);
    };
    socket.onclose = (event) => {
      if (event.code === 1000 && finished) return setState("done", "finished");
      if (event.code === 4401) return setState("error", "signed out: reload to log in");
      if (event.code === 4403) return setState("error", "no permission to read this log");
      if (event.code === 4404) return setState("error", "job not found");
      attempt += 1;
      const delay = Math.min(5000, 200 * 2 ** Math.min(attempt, 5));
      setState("reconnecting", `disconnected, retrying in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(connect, delay);
    };
    window.swarmdeckJobSocket = socket; // lets tests and the console force a reconnect
  }

  log.scrollTop = log.scrollHeight;
  if (!finished) connect();
})();
