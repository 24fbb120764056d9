// The demo page: language pickers filled from the API, translation on the button or Ctrl+Enter, and the
// API's own error message shown when something goes wrong. No libraries, nothing loaded from elsewhere.
'use strict';

const byId = (id) => document.getElementById(id);
const sourceSelect = byId('source-lang');
const targetSelect = byId('target-lang');
const textBox = byId('source-text');
const button = byId('translate');
const result = byId('result');
const detected = byId('detected');
const statusLine = byId('status');
const errorBox = byId('error');
const PREFERRED_TARGETS = ['de', 'en'];

const languageNames =
  typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames([navigator.language || 'en'], { type: 'language' }) : null;
let allLanguages = [];

function languageLabel(code) {
  let name = null;
  try {
    name = languageNames ? languageNames.of(code) : null;
  } catch (rangeError) {
    name = null; // a code the browser does not know
  }
  return name && name !== code ? `${name} (${code})` : code;
}

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const detail = body && typeof body === 'object' && 'detail' in body ? body.detail : body;
    const kind = body && typeof body === 'object' && body.error ? ` (${body.error})` : '';
    const text = typeof detail === 'string' && detail ? detail : JSON.stringify(detail);
    const retry = retryAfter ? ` Try again in ${retryAfter} s.` : '';
    super(`The server answered ${status}${kind}: ${text}${retry}`);
    this.status = status;
  }
}

async function callApi(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: { Accept: 'application/json', ...options.headers } });
  } catch (networkError) {
    throw new Error(`Cannot reach the server (${networkError.message}). Is it running?`);
  }
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch (notJson) {
    body = text; // keep the raw text for the message
  }
  if (!response.ok) {
    throw new ApiError(response.status, body, response.headers.get('Retry-After'));
  }
  return { body, headers: response.headers };
}

function setState(state) {
  document.body.dataset.state = state;
  button.disabled = state === 'busy' || state === 'loading';
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function clearError() {
  errorBox.textContent = '';
  errorBox.hidden = true;
}

function fillSelect(select, codes, wanted) {
  select.replaceChildren(
    ...(select === sourceSelect ? [new Option('Detect language', '')] : []),
    ...codes.map((code) => new Option(languageLabel(code), code)),
  );
  const choice = wanted.find((code) => code === '' ? select === sourceSelect : codes.includes(code));
  if (choice !== undefined) {
    select.value = choice;
  }
}

async function loadTargets() {
  const source = sourceSelect.value;
  const targets = source
    ? (await callApi(`/get_languages?source_lang=${encodeURIComponent(source)}`)).body
    : allLanguages;
  fillSelect(targetSelect, targets, [targetSelect.value, ...PREFERRED_TARGETS, targets[0]]);
}

async function loadLanguages() {
  setState('loading');
  try {
    allLanguages = (await callApi('/get_languages')).body;
    fillSelect(sourceSelect, allLanguages, ['']);
    await loadTargets();
    setState('ready');
  } catch (error) {
    showError(error.message);
    setState('error');
  }
}

async function translate() {
  if (button.disabled) {
    return;
  }
  clearError();
  const text = textBox.value;
  if (!text.trim()) {
    showError('Type some text to translate first.');
    return;
  }
  setState('busy');
  statusLine.textContent = 'Translating…';
  detected.textContent = '';
  try {
    const { body, headers } = await callApi('/translate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, target_lang: targetSelect.value, source_lang: sourceSelect.value }),
    });
    result.textContent = body.translated;
    if (body.detected_langs) {
      detected.textContent = `detected: ${languageLabel(body.detected_langs)}`;
    }
    const model = headers.get('X-Model-Name');
    statusLine.textContent = `${body.translation_time.toFixed(2)} s${model ? ` · ${model}` : ''}`;
    setState('done');
  } catch (error) {
    result.textContent = '';
    statusLine.textContent = '';
    showError(error.message);
    setState('error');
  }
}

byId('translate-form').addEventListener('submit', (event) => {
  event.preventDefault();
  translate();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    translate();
  }
});
sourceSelect.addEventListener('change', async () => {
  clearError();
  setState('loading');
  try {
    await loadTargets();
    setState('ready');
  } catch (error) {
    showError(error.message);
    setState('error');
  }
});

loadLanguages();
