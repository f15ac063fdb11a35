// A data job's page follows its job while it is queued or running: every few seconds it reads the
// job's JSON twin (same origin, same session) and updates the status, the progress bar and the log
// in place. When the job has ended it loads the page once more, which then shows the result and
// has no script to poll. Without JavaScript the page refreshes itself instead (<noscript> meta
// refresh), so the page works either way.
const root = document.getElementById("job-follow");

async function poll() {
  let job = null;
  try {
    const response = await fetch(root.dataset.source, {
      headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
    });
    if (response.ok) { job = (await response.json()).job; }
  } catch (err) {
    job = null; // the server is restarting or the network dropped: try again on the next tick
  }
  if (job) {
    document.getElementById("job-status").textContent = job.status;
    const bar = document.getElementById("job-progress");
    bar.value = job.progress || 0;
    bar.textContent = `${Math.round((job.progress || 0) * 100)}%`;
    const log = document.getElementById("job-log");
    const text = job.log || "(nothing yet)";
    if (log.textContent !== text) { log.textContent = text; }
    if (job.status !== "queued" && job.status !== "running") {
      window.location.reload();
      return;
    }
  }
  window.setTimeout(poll, Number(root.dataset.every) || 2000);
}

if (root) { window.setTimeout(poll, Number(root.dataset.every) || 2000); }
