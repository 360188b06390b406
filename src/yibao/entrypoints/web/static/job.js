// A running job's page: poll its status, move the bar, and show the report once it has finished.
(function () {
  const box = document.getElementById("job");
  if (!box || box.dataset.finished === "yes") return;
  const bar = document.getElementById("job-bar");
  const step = document.getElementById("job-step");
  const count = document.getElementById("job-count");
  const state = document.getElementById("job-state");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const job = await response.json();
        if (job.finished) { window.location.reload(); return; }
        bar.value = job.percent;
        step.textContent = job.step;
        count.textContent = job.total ? job.done + "/" + job.total : "";
        state.textContent = job.state_name;
      }
    } catch (error) {
      // The server restarting or the network blinking: try again at the next tick.
    }
    window.setTimeout(poll, 500);
  }
  window.setTimeout(poll, 300);
})();
