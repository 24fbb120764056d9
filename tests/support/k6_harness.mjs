// Runs tests/k6-load-test.js without k6: node with stand-ins for the k6 modules, so a test can check the
// script's options, send its requests to a real server and feed its handleSummary.
//
//   node k6_harness.mjs <prepared-script.mjs> <iterations>
//
// The test prepares the script by replacing its k6 imports with `globalThis.k6` look-ups (see
// tests/integration/test_load_testing.py). http.request is synchronous in k6, so the stand-in uses curl.
// Prints one JSON object: options, what the iterations sent and counted, and handleSummary's output.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [scriptPath, iterationsText] = process.argv.slice(2);
const originalDir = process.env.K6_SCRIPT_DIR;
const sent = [];
const counters = {};
const checks = { passed: 0, failed: 0 };

function curl(method, url, body) {
  const args = ['-sS', '-o', '-', '-w', '\n%{http_code}', '-X', method, '-H', 'Content-Type: application/json'];
  if (body !== null) {
    args.push('--data-binary', body);
  }
  const output = execFileSync('curl', [...args, url], { encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 });
  const cut = output.lastIndexOf('\n');
  return { status: Number(output.slice(cut + 1)), text: output.slice(0, cut) };
}

class Metric {
  constructor(name) {
    this.name = name;
    counters[name] = counters[name] || 0;
  }

  add(value) {
    counters[this.name] += Number(value);
  }
}

globalThis.__ENV = process.env;
globalThis.open = (file) => readFileSync(path.resolve(originalDir, file), 'utf-8');
globalThis.k6 = {
  http: {
    request(method, url, body, params) {
      const answer = curl(method, url, body);
      sent.push({ method, url, body, name: params.tags.name, status: answer.status });
      return {
        status: answer.status,
        body: answer.text,
        json(selector) {
          const parsed = JSON.parse(answer.text);
          return selector === undefined ? parsed : parsed[selector];
        },
      };
    },
    setResponseCallback(callback) {
      globalThis.k6.responseCallback = callback;
    },
    expectedStatuses(...statuses) {
      return statuses;
    },
  },
  check(value, conditions) {
    const ok = Object.values(conditions).every((condition) => condition(value));
    checks[ok ? 'passed' : 'failed'] += 1;
    return ok;
  },
  Counter: Metric,
  Rate: Metric,
};

const script = await import(path.resolve(scriptPath));
for (let i = 0; i < Number(iterationsText); i += 1) {
  script.default();
}
// What k6 would hand over after a run of 100 requests in 10 s, 2 of them failed.
const summary = script.handleSummary({
  metrics: {
    http_reqs: { values: { count: 100, rate: 10 } },
    http_req_failed: { values: { rate: 0.02, passes: 2 }, thresholds: { 'rate<=0.01': { ok: false } } },
    http_req_duration: { values: { med: 12.5, 'p(95)': 40.25, max: 90 }, thresholds: { 'p(95)<=2000': { ok: true } } },
    rejected_429: { values: { count: 3 } },
  },
});
console.log(
  JSON.stringify({
    options: script.options,
    responseCallback: globalThis.k6.responseCallback || null,
    sent,
    counters,
    checks,
    summary,
  }),
);
