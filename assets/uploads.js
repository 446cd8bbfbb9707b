// "Upload CSV" (components/upload_panel.py): the file goes to the server's own route as the
// request's body (serving/upload_route.py), not base64 through a callback; the answer is handed to
// Dash with the public set_props, into `upload-received`. When the tab closes, the server is told
// to forget the upload at once (navigator.sendBeacon); otherwise it expires after its hour.
(function () {
  "use strict";
  const MAX_BYTES = 50 * 1024 * 1024;
  let current = null; // this tab's upload id: held in this script only, never in the address

  function say(status, error) {
    const dash = window.dash_clientside;
    dash.set_props("upload-status", { children: status });
    dash.set_props("upload-error", { children: error || "", hidden: !error });
  }

  async function send(file) {
    if (file.size > MAX_BYTES) {
      say("", `${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; files up to 50 MB can be uploaded.`);
      return;
    }
    say(`Reading ${file.name} (${(file.size / 1024).toFixed(0)} KB)…`, "");
    const headers = { "Content-Type": "text/csv", "X-Filename": encodeURIComponent(file.name) };
    if (current) headers["X-Replaces"] = current;
    let answer, body;
    try {
      answer = await fetch("upload", { method: "POST", body: file, headers });
      body = await answer.json();
    } catch (error) {
      say("", "The server could not be reached, or its answer was cut off: a fault on our side, not your file. "
        + "Upload it again.");
      return;
    }
    if (!answer.ok) {
      const fault = answer.status >= 500 && answer.status !== 503;
      say("", (body && body.error) || `The server failed to read the file (${answer.status}).`
        + (fault ? " Upload it again." : ""));
      return;
    }
    current = body.id;
    window.dash_clientside.set_props("upload-received", { data: body });
  }

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element && event.target.closest("#data-upload");
    if (!button) return;
    const input = document.createElement("input");
    input.type = "file";
    input.accept = ".csv,.tsv,.txt,text/csv,text/plain";
    input.addEventListener("change", () => { if (input.files && input.files[0]) send(input.files[0]); });
    input.click();
  });

  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("#upload-forget")) current = null;
  }, true);

  window.addEventListener("pagehide", (event) => {
    // Not when the page only goes into the back/forward cache: it comes back with its upload.
    if (current && !event.persisted && navigator.sendBeacon) navigator.sendBeacon("upload/forget", current);
  });
})();
