// k6 load test for mostlylucid-nmt (https://k6.io). Scenarios, request mix and thresholds come from
// loadtest/scenarios.json, which the local generator (python -m loadtest) reads too, so both measure the
// same thing.
//
//   SCENARIO=smoke  k6 run tests/k6-load-test.js     # 1 user, 30 s (the default)
//   SCENARIO=load   k6 run tests/k6-load-test.js     # ramp to 10 users, 2 min
//   SCENARIO=stress k6 run tests/k6-load-test.js     # ramp to 50 users, 5 min; 429/503 are expected answers
//   BASE_URL=http://my-server:8000 SCENARIO=load k6 run tests/k6-load-test.js
//   DURATION=60 VUS=20 SCENARIO=load k6 run tests/k6-load-test.js   # stretch the stages, scale the peak
//   k6 run --vus 10 --duration 2m tests/k6-load-test.js            # k6's own flags replace the stages
//
// Environment: SCENARIO, BASE_URL, DURATION (seconds), VUS (peak), SOURCE_LANG, TARGET_LANG, SUMMARY_JSON
// (where handleSummary writes the figures as JSON; default k6-summary.json).

import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';

const CONFIG = JSON.parse(open('../loadtest/scenarios.json'));
const SCENARIO_NAME = __ENV.SCENARIO || 'smoke';
const BASE_URL = (__ENV.BASE_URL || 'http://localhost:8000').replace(/\/+$/, '');
const SOURCE_LANG = __ENV.SOURCE_LANG || 'en';
const TARGET_LANG = __ENV.TARGET_LANG || 'de';

const SCENARIO = CONFIG.scenarios[SCENARIO_NAME];
if (!SCENARIO) {
  throw new Error(`unknown SCENARIO ${SCENARIO_NAME}; choose from ${Object.keys(CONFIG.scenarios).join(', ')}`);
}

// 429 and 503 are counted apart from other failures; under stress they are the expected answer to overload.
const overloaded429 = new Counter('rejected_429');
const busy503 = new Counter('rejected_503');
const unexpectedErrors = new Counter('errors');
const goodAnswers = new Rate('good_answers');

function fill(value) {
  if (typeof value === 'string') {
    return value.split('{src}').join(SOURCE_LANG).split('{tgt}').join(TARGET_LANG);
  }
  if (Array.isArray(value)) {
    return value.map(fill);
  }
  if (value && typeof value === 'object') {
    const filled = {};
    for (const key of Object.keys(value)) {
      filled[key] = fill(value[key]);
    }
    return filled;
  }
  return value;
}

const REQUESTS = CONFIG.requests.map(fill);
const TOTAL_WEIGHT = REQUESTS.reduce((sum, request) => sum + request.weight, 0);

function scaledStages() {
  const total = SCENARIO.stages.reduce((sum, stage) => sum + stage.duration_s, 0);
  const peak = Math.max(SCENARIO.start_vus, ...SCENARIO.stages.map((stage) => stage.vus));
  const timeFactor = __ENV.DURATION ? Number(__ENV.DURATION) / total : 1;
  const vuFactor = __ENV.VUS ? Number(__ENV.VUS) / peak : 1;
  return {
    startVUs: Math.round(SCENARIO.start_vus * vuFactor),
    stages: SCENARIO.stages.map((stage) => ({
      duration: `${Math.max(1, Math.round(stage.duration_s * timeFactor))}s`,
      target: Math.round(stage.vus * vuFactor),
    })),
  };
}

export const options = {
  scenarios: {
    [SCENARIO_NAME]: {
      executor: 'ramping-vus',
      ...scaledStages(),
      gracefulRampDown: '30s',
    },
  },
  thresholds: {
    http_req_failed: [`rate<=${SCENARIO.thresholds.failed_rate_max}`],
    http_req_duration: [`p(95)<=${SCENARIO.thresholds.p95_ms_max}`],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max'],
};

// Under stress, 429 and 503 are not failures (http_req_failed); they are still counted above.
if (SCENARIO.overload_expected) {
  http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 429, 503));
}

function pick() {
  let roll = Math.random() * TOTAL_WEIGHT;
  for (const request of REQUESTS) {
    roll -= request.weight;
    if (roll < 0) {
      return request;
    }
  }
  return REQUESTS[REQUESTS.length - 1];
}

function translationCount(response, field) {
  const translated = response.json(field);
  if (typeof translated === 'string') {
    return 1;
  }
  return Array.isArray(translated) ? translated.length : -1;
}

export default function () {
  const request = pick();
  const params = { headers: { 'Content-Type': 'application/json' }, tags: { name: request.name } };
  const body = request.body === undefined ? null : JSON.stringify(request.body);
  const response = http.request(request.method, `${BASE_URL}${request.path}`, body, params);

  if (response.status === 429) {
    overloaded429.add(1, { name: request.name });
    return;
  }
  if (response.status === 503) {
    busy503.add(1, { name: request.name });
    return;
  }
  const good = check(response, {
    'status is 2xx': (r) => r.status >= 200 && r.status < 300,
    'answer has the expected shape': (r) =>
      request.expect_translations === undefined ||
      translationCount(r, request.translations_field || 'translated') === request.expect_translations,
  });
  goodAnswers.add(good, { name: request.name });
  if (!good) {
    unexpectedErrors.add(1, { name: request.name });
  }
}

function metric(data, name, stat, fallback = 0) {
  const found = data.metrics[name];
  return found && found.values[stat] !== undefined ? found.values[stat] : fallback;
}

export function handleSummary(data) {
  const requests = metric(data, 'http_reqs', 'count');
  const figures = {
    scenario: SCENARIO_NAME,
    base_url: BASE_URL,
    requests,
    requests_per_s: metric(data, 'http_reqs', 'rate'),
    failed: metric(data, 'http_req_failed', 'passes'),
    failed_rate: metric(data, 'http_req_failed', 'rate'),
    rejected_429: metric(data, 'rejected_429', 'count'),
    rejected_503: metric(data, 'rejected_503', 'count'),
    errors: metric(data, 'errors', 'count'),
    p50_ms: metric(data, 'http_req_duration', 'med', null),
    p95_ms: metric(data, 'http_req_duration', 'p(95)', null),
    max_ms: metric(data, 'http_req_duration', 'max', null),
    thresholds: {},
  };
  for (const name of ['http_req_failed', 'http_req_duration']) {
    const found = data.metrics[name];
    for (const [threshold, result] of Object.entries((found && found.thresholds) || {})) {
      figures.thresholds[`${name} ${threshold}`] = result.ok;
    }
  }
  const ms = (value) => (value === null ? '-' : `${value.toFixed(0)} ms`);
  const expected = SCENARIO.overload_expected ? ' (expected)' : '';
  const lines = [
    `scenario ${SCENARIO_NAME}: ${BASE_URL}, ${SOURCE_LANG}->${TARGET_LANG}`,
    `  requests     ${requests} (${figures.requests_per_s.toFixed(2)}/s)`,
    `  429          ${figures.rejected_429}${expected}`,
    `  503          ${figures.rejected_503}${expected}`,
    `  errors       ${figures.errors}`,
    `  failed       ${figures.failed} (${(figures.failed_rate * 100).toFixed(2)}%)`,
    `  latency      p50 ${ms(figures.p50_ms)}, p95 ${ms(figures.p95_ms)}, max ${ms(figures.max_ms)}`,
    ...Object.entries(figures.thresholds).map(
      ([name, ok]) => `  threshold ${name}: ${ok ? 'passed' : 'FAILED'}`,
    ),
    '',
  ];
  return {
    stdout: lines.join('\n'),
    [__ENV.SUMMARY_JSON || 'k6-summary.json']: JSON.stringify(figures, null, 2),
  };
}
