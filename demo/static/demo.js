// The demo page: each button runs one request against the API (another
// origin) and shows what the browser lets JavaScript see of the answer.
"use strict";

const api = document.querySelector('meta[name="api-origin"]').content;

// Every demo returns {status, note, headers, body} for the result block.
const demos = {
  "cors-get": async () => {
    const response = await fetch(`${api}/api/hello`);
    const note = "X-Internal readable from JavaScript: " +
      `${response.headers.get("X-Internal") !== null}`;
    return describe(response, note);
  },

  "preflight-put": async () => {
    const response = await fetch(`${api}/api/items/42`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-Demo-Token": "s3cret" },
      body: JSON.stringify({ name: "answer", value: 42 }),
    });
    const note = "the preflight allowed PUT, Content-Type and X-Demo-Token";
    return describe(response, note);
  },

  "refused-header": async () => {
    try {
      const response = await fetch(`${api}/api/hello`, {
        headers: { "X-Not-Allowed": "1" },
      });
      return describe(response, "not refused?");
    } catch (error) {
      return {
        status: `fetch rejected: ${error.name}: ${error.message}`,
        note: "The preflight answer does not allow X-Not-Allowed, so the " +
          "browser never sent the GET (see the server log).",
        headers: "(none: no response reached the page)",
        body: "",
        refused: true,
      };
    }
  },

  "handler-error": async () => {
    const response = await fetch(`${api}/api/error`);
    const note = "readable: the error answer carries CORS headers too";
    return describe(response, note);
  },

  "timeout": async () => {
    const started = performance.now();
    const response = await fetch(`${api}/api/slow`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return describe(response, `answered after ${seconds} s`);
  },

  "shield": async () => {
    const url = `${api}/api/saves/${Math.random().toString(36).slice(2, 10)}`;
    const controller = new AbortController();
    const post = fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ note: "saved although the page aborted" }),
      signal: controller.signal,
    });
    post.catch(() => {}); // its outcome is read below, after the abort
    // The save is 404 until the handler starts it. Abort only then: the
    // request is surely on the server when its connection closes.
    await poll(url, () => true);
    controller.abort();
    let outcome;
    try {
      await post;
      outcome = "the POST finished before the abort";
    } catch (error) {
      outcome = `the page aborted the POST (${error.name})`;
    }
    const result = await poll(url, (data) => data.state === "saved");
    return { ...result, note: `${outcome}; then GET ${new URL(url).pathname}:` };
  },

  "https": async () => {
    const response = await fetch(`${api}/api/proxied`, {
      headers: { "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https" },
    });
    const note = `sent over plain ${new URL(api).protocol.slice(0, -1)} ` +
      "from 127.0.0.1 with X-Forwarded-For: 203.0.113.7, X-Forwarded-Proto: https";
    return describe(response, note);
  },
};

async function describe(response, note = "") {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`);
  return {
    status: `${response.status} ${response.statusText}`,
    note,
    headers: headers.join("\n"),
    body: pretty(await response.text()),
  };
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// GETs url until its JSON body satisfies done(); returns that answer.
async function poll(url, done) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await fetch(url);
    if (response.ok) {
      const result = await describe(response);
      if (done(JSON.parse(result.body))) return result;
    } else {
      await response.arrayBuffer();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never reached the expected state`);
}

async function run(section) {
  const result = document.getElementById("result").content.cloneNode(true);
  section.querySelector(".result")?.remove();
  section.append(result);
  section.dataset.state = "running";
  section.classList.remove("refused");
  let outcome;
  try {
    outcome = await demos[section.id]();
  } catch (error) {
    outcome = { status: `error: ${error}`, note: "", headers: "", body: "" };
  }
  for (const field of ["status", "note", "headers", "body"]) {
    section.querySelector(`.${field}`).textContent = outcome[field];
  }
  section.classList.toggle("refused", Boolean(outcome.refused));
  section.dataset.state = "done";
}

const sections = [...document.querySelectorAll("section.demo")];
for (const section of sections) {
  section.querySelector("button").addEventListener("click", () => run(section));
}

document.querySelector("#all button").addEventListener("click", async () => {
  const all = document.getElementById("all");
  all.dataset.state = "running";
  for (const section of sections) await run(section);
  all.dataset.state = "done";
});
