#!/usr/bin/env bash
# Validate a running mostlylucid-nmt server against the API it documents: EasyNMT's endpoints with their exact
# shapes, the operations endpoints, the error table, metrics, markup formats, the LibreTranslate API and the
# demo page. Each case prints PASS or FAIL with its name; the exit status is 1 when any case failed.
#
#   ./validate-api.sh                          # full suite against http://localhost:8000
#   ./validate-api.sh --smoke-only             # the few cases that show the server works at all
#   ./validate-api.sh --base-url http://localhost:8001 --source-lang en --target-lang fr
#
# Needs bash and python3 (which parses and checks every answer); requests go through curl when it is
# installed, through python3 otherwise. The translation pair (default en->de) must be one the server serves;
# the sample texts are English, so the auto-detection cases expect "en". The full suite expects /metrics on
# the API port, so METRICS_PORT unset.
set -uo pipefail

BASE_URL="http://localhost:8000"
SMOKE_ONLY=0
SRC="en"
TGT="de"
TIMEOUT_S=120
CLIENT=""

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    echo
    echo "Options: --base-url URL  --smoke-only  --source-lang CODE  --target-lang CODE  --timeout SECONDS"
    echo "         --client curl|python3 (default: curl when installed)"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --base-url) BASE_URL="${2:?--base-url needs a URL}"; shift 2 ;;
        --base-url=*) BASE_URL="${1#*=}"; shift ;;
        --smoke-only) SMOKE_ONLY=1; shift ;;
        --source-lang) SRC="${2:?--source-lang needs a code}"; shift 2 ;;
        --target-lang) TGT="${2:?--target-lang needs a code}"; shift 2 ;;
        --timeout) TIMEOUT_S="${2:?--timeout needs seconds}"; shift 2 ;;
        --client) CLIENT="${2:?--client needs curl or python3}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$CLIENT" in
    ""|curl|python3) ;;
    *) echo "--client must be curl or python3, not $CLIENT" >&2; exit 2 ;;
esac
BASE_URL="${BASE_URL%/}"

if ! command -v python3 >/dev/null 2>&1; then
    echo "validate-api.sh needs python3 to check the answers" >&2
    exit 2
fi
if [ -z "$CLIENT" ]; then
    CLIENT=python3
    command -v curl >/dev/null 2>&1 && CLIENT=curl
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Sends one request without curl: METHOD URL BODY_FILE HEADER OUT_DIR TIMEOUT (BODY_FILE and HEADER may be "").
PY_REQUEST='
import sys, urllib.request, urllib.error
method, url, body_file, header, out, timeout = sys.argv[1:7]
data = open(body_file, "rb").read() if body_file else None
request = urllib.request.Request(url, data=data, method=method)
if data is not None:
    request.add_header("Content-Type", "application/json")
if header:
    name, _, value = header.partition(":")
    request.add_header(name.strip(), value.strip())
try:
    response = urllib.request.urlopen(request, timeout=float(timeout))
except urllib.error.HTTPError as error:
    response = error
except OSError as error:
    print(f"request failed: {error}", file=sys.stderr)
    print("000")
    sys.exit(0)
with response:
    body = response.read()
    headers = "".join(f"{name}: {value}\r\n" for name, value in response.headers.items())
    status = response.status
open(out + "/body", "wb").write(body)
open(out + "/headers", "w").write(headers)
print(status)
'

# Checks one answer: EXPECTED_STATUS EXPRESSION OUT_DIR STATUS. The expression sees b (the parsed JSON body,
# None when not JSON), t (the body as text), h (headers, lower-case names), S and T (the language pair).
PY_CHECK='
import json, os, sys
expected, expression, out, status = sys.argv[1:5]
text = open(out + "/body", encoding="utf-8", errors="replace").read()
headers = {}
for line in open(out + "/headers", encoding="latin-1").read().splitlines():
    name, sep, value = line.partition(":")
    if sep:
        headers[name.strip().lower()] = value.strip()
try:
    body = json.loads(text)
except ValueError:
    body = None
if status != expected:
    print(f"status {status}, expected {expected}: {text[:200]}")
    sys.exit(1)
scope = {"b": body, "t": text, "h": headers, "S": os.environ["VALIDATE_SRC"], "T": os.environ["VALIDATE_TGT"]}
try:
    ok = eval(expression, scope)
except Exception as error:
    ok = False
    print(f"{type(error).__name__}: {error}; ", end="")
if not ok:
    print(f"check failed: {expression}; body: {text[:200]}")
    sys.exit(1)
'
export VALIDATE_SRC="$SRC" VALIDATE_TGT="$TGT"

PASSED=0
FAILED=0
FAILED_NAMES=()

# case_ NAME EXPECTED_STATUS EXPRESSION METHOD PATH [JSON_BODY] [HEADER]
# {src} and {tgt} in PATH and JSON_BODY become the language pair; a body starting with @ names a file.
case_() {
    local name="$1" expected="$2" expression="$3" method="$4" path="$5" body="${6:-}" header="${7:-}"
    local out="$WORK/case" body_file="" status reason
    rm -rf "$out" && mkdir -p "$out" && : >"$out/body" && : >"$out/headers"
    path="${path//\{src\}/$SRC}"
    path="${path//\{tgt\}/$TGT}"
    if [ -n "$body" ]; then
        if [ "${body:0:1}" = "@" ]; then
            body_file="${body:1}"
        else
            body="${body//\{src\}/$SRC}"
            body="${body//\{tgt\}/$TGT}"
            body_file="$out/request.json"
            printf '%s' "$body" >"$body_file"
        fi
    fi
    if [ "$CLIENT" = curl ]; then
        # -L follows redirects (/ to /demo), as python3's urllib and PowerShell do.
        local args=(-sSL --max-time "$TIMEOUT_S" -o "$out/body" -D "$out/headers" -w '%{http_code}' -X "$method")
        [ -n "$body_file" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body_file")
        [ -n "$header" ] && args+=(-H "$header")
        status="$(curl "${args[@]}" "$BASE_URL$path" 2>"$out/error")" || status="000"
    else
        status="$(python3 -c "$PY_REQUEST" "$method" "$BASE_URL$path" "$body_file" "$header" "$out" \
            "$TIMEOUT_S" 2>"$out/error")"
    fi
    if [ "$status" = "000" ]; then
        reason="no answer: $(tr '\n' ' ' <"$out/error")"
    elif reason="$(python3 -c "$PY_CHECK" "$expected" "$expression" "$out" "$status")"; then
        PASSED=$((PASSED + 1))
        echo "PASS  $name"
        return
    fi
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
    echo "FAIL  $name: $reason"
}

group() {
    echo
    echo "== $1"
}

EN_1="Hello world, how are you today?"
EN_2="The weather is very nice this morning."
DE_1="Guten Morgen, wie geht es dir heute?"
FR_1="Bonjour mes amis, comment allez-vous aujourd'hui?"
TRANSLATE_KEYS='["target_lang", "source_lang", "translated", "translation_time"]'
AUTO_KEYS='["target_lang", "source_lang", "detected_langs", "translated", "translation_time"]'

echo "Validating $BASE_URL, pair $SRC->$TGT, requests through $CLIENT$([ "$SMOKE_ONLY" -eq 1 ] && echo ', smoke only')"

group "Smoke"
case_ "healthz answers ok" 200 'b == {"status": "ok"}' GET /healthz
case_ "readyz is ready" 200 'b["status"] == "ready" and b["preloads_pending"] == 0' GET /readyz
case_ "GET /translate translates one text" 200 \
    'b["target_lang"] == T and b["source_lang"] == S and len(b["translated"]) == 1 and b["translated"][0].strip()' \
    GET "/translate?target_lang={tgt}&source_lang={src}&text=Hello%20world."
case_ "POST /translate translates a string" 200 \
    'isinstance(b["translated"], str) and b["translated"].strip()' \
    POST /translate "{\"text\": \"$EN_1\", \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"
case_ "GET /language_detection detects German" 200 'b == "de"' \
    GET "/language_detection?text=Guten%20Morgen%2C%20wie%20geht%20es%20dir%20heute%3F"
case_ "GET /lang_pairs lists the pair" 200 'isinstance(b, list) and f"{S}-{T}" in b' GET /lang_pairs
case_ "GET /model_name is a bare string" 200 'isinstance(b, str) and b' GET /model_name

if [ "$SMOKE_ONLY" -eq 0 ]; then
    group "Health and observability"
    case_ "cache shows models and admission state" 200 \
        'isinstance(b["loaded"], list) and b["capacity"] >= 1 and b["inflight"] >= 0 and b["queue_limit"] >= 0' \
        GET /cache
    case_ "cache lists recent batches" 200 \
        'isinstance(b["recent_batch_sizes"], list) and isinstance(b["queue_depths"], dict)' GET /cache
    case_ "request id is echoed" 200 'h.get("x-request-id") == "validate-api-1"' \
        GET /healthz "" "X-Request-ID: validate-api-1"
    case_ "request id is generated when absent" 200 'len(h.get("x-request-id", "")) >= 16' GET /healthz
    case_ "translation reports model and timings in headers" 200 \
        'h["x-model-name"] and h["x-model-family"] and float(h["x-queue-time-ms"]) >= 0 and float(h["x-inference-time-ms"]) >= 0' \
        POST /translate "{\"text\": \"$EN_2\", \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"

    group "Translation"
    case_ "POST list keeps the list shape" 200 \
        'isinstance(b["translated"], list) and len(b["translated"]) == 2 and all(x.strip() for x in b["translated"])' \
        POST /translate "{\"text\": [\"$EN_1\", \"$EN_2\"], \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"
    case_ "translation_time is seconds as a number" 200 \
        'isinstance(b["translation_time"], float) and 0 <= b["translation_time"] < 600' \
        POST /translate "{\"text\": \"$EN_2\", \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"
    case_ "paragraphs and blank lines are kept" 200 \
        'b["translated"].count("\n\n") == 1' \
        POST /translate "{\"text\": \"First paragraph. It has two sentences.\\n\\nSecond paragraph.\", \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"
    case_ "same request gives the same translation" 200 \
        'b["translated"][0] == b["translated"][1]' \
        POST /translate "{\"text\": [\"$EN_2\", \"$EN_2\"], \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"
    case_ "without sentence splitting" 200 \
        'len(b["translated"]) == 1 and b["translated"][0].strip()' \
        GET "/translate?target_lang={tgt}&source_lang={src}&perform_sentence_splitting=false&text=One%20sentence.%20Another%20one."

    group "Multiple texts"
    case_ "GET with repeated text gives one answer each" 200 \
        'len(b["translated"]) == 3 and all(isinstance(x, str) for x in b["translated"])' \
        GET "/translate?target_lang={tgt}&source_lang={src}&text=Good%20morning.&text=Thank%20you.&text=See%20you%20soon."
    case_ "POST with five texts gives five, in order" 200 \
        'len(b["translated"]) == 5 and b["translated"][0] == b["translated"][4] != b["translated"][2]' \
        POST /translate "{\"text\": [\"$EN_1\", \"$EN_2\", \"Where is the station?\", \"$EN_2\", \"$EN_1\"], \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"

    group "Language detection"
    case_ "POST string gives a string" 200 'b == "de"' POST /language_detection "{\"text\": \"$DE_1\"}"
    case_ "POST list gives a list in order" 200 'b == ["en", "de", "fr"]' \
        POST /language_detection "{\"text\": [\"$EN_1\", \"$DE_1\", \"$FR_1\"]}"
    case_ "POST object gives the same keys" 200 'b == {"first": "fr", "second": "en"}' \
        POST /language_detection "{\"text\": {\"first\": \"$FR_1\", \"second\": \"$EN_2\"}}"
    case_ "GET French" 200 'b == "fr"' \
        GET "/language_detection?text=Bonjour%20mes%20amis%2C%20comment%20allez-vous%20aujourd%27hui%3F"

    group "Pairs and discovery"
    case_ "lang_pairs are src-tgt strings" 200 \
        'len(b) > 0 and all(isinstance(p, str) and p.count("-") == 1 for p in b)' GET /lang_pairs
    case_ "get_languages is sorted and has both languages" 200 'b == sorted(b) and S in b and T in b' \
        GET /get_languages
    case_ "targets of the source language" 200 'T in b and S not in b and b == sorted(b)' \
        GET "/get_languages?source_lang={src}"
    case_ "sources of the target language" 200 'S in b and T not in b' GET "/get_languages?target_lang={tgt}"
    case_ "discover opus-mt lists models and pairs" 200 \
        'b[0]["family"] == "opus-mt" and len(b[0]["models"]) > 0 and len(b[0]["pairs"]) > 0 and b[0]["source"] in ("hub", "bundled")' \
        GET /discover/opus-mt
    case_ "discover all lists the three families" 200 '[x["family"] for x in b] == ["opus-mt", "mbart50", "m2m100"]' \
        GET /discover/all

    group "Auto-detection"
    case_ "POST string without source detects a string" 200 \
        'b["source_lang"] is None and b["detected_langs"] == "en" and isinstance(b["translated"], str)' \
        POST /translate "{\"text\": \"$EN_1\", \"target_lang\": \"{tgt}\"}"
    case_ "POST list detects per text" 200 \
        'b["detected_langs"] == ["en", "und"] and b["translated"][1] == "12345"' \
        POST /translate "{\"text\": [\"$EN_2\", \"12345\"], \"target_lang\": \"{tgt}\", \"source_lang\": null}"
    case_ "GET without source_lang detects" 200 'b["detected_langs"] == ["en"] and b["source_lang"] is None' \
        GET "/translate?target_lang={tgt}&text=Hello%20world%2C%20how%20are%20you%20today%3F"

    group "Beam size"
    case_ "beam_size 1 (greedy)" 200 'b["translated"].strip()' \
        POST /translate "{\"text\": \"$EN_1\", \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\", \"beam_size\": 1}"
    case_ "beam_size 3 on GET" 200 'len(b["translated"]) == 1' \
        GET "/translate?target_lang={tgt}&source_lang={src}&beam_size=3&text=Hello%20world."

    group "Empty lists"
    case_ "POST empty list gives an empty list" 200 'b["translated"] == []' \
        POST /translate '{"text": [], "target_lang": "{tgt}", "source_lang": "{src}"}'
    case_ "GET without text gives an empty list" 200 'b["translated"] == []' GET "/translate?target_lang={tgt}"
    case_ "detection of an empty list" 200 'b == []' POST /language_detection '{"text": []}'

    group "Error handling"
    case_ "missing target_lang is 422 naming it" 422 'b["error"] == "validation" and "target_lang" in b["detail"]' \
        GET "/translate?text=Hello"
    case_ "beam_size over the limit is 400" 400 'b["error"] == "invalid_request" and "EASYNMT_MAX_BEAM_SIZE" in b["detail"]' \
        POST /translate '{"text": "Hello.", "target_lang": "{tgt}", "source_lang": "{src}", "beam_size": 1000}'
    case_ "beam_size 0 is 400" 400 'b["error"] == "invalid_request"' \
        GET "/translate?target_lang={tgt}&source_lang={src}&beam_size=0&text=Hello."
    case_ "unknown language is 400 pointing at /lang_pairs" 400 \
        'b["error"] == "unsupported_language" and "/lang_pairs" in b["detail"]' \
        POST /translate '{"text": "Hello.", "target_lang": "xx", "source_lang": "{src}"}'
    case_ "malformed language code is 400" 400 'b["error"] == "invalid_request"' \
        POST /translate '{"text": "Hello.", "target_lang": "not a code!", "source_lang": "{src}"}'
    case_ "body that is not JSON is 422" 422 'b["error"] == "validation" and "JSON" in b["detail"]' \
        POST /translate '{bad json'
    case_ "text of the wrong type is 422" 422 'b["error"] == "validation" and "text" in b["detail"]' \
        POST /translate '{"text": 5, "target_lang": "{tgt}"}'
    python3 -c 'import json, sys; json.dump({"text": "a" * 200001, "target_lang": sys.argv[1]}, sys.stdout)' \
        "$TGT" >"$WORK/huge.json"
    case_ "oversized text is 413" 413 'b["error"] == "payload_too_large"' POST /translate "@$WORK/huge.json"
    case_ "language detection without text is 422" 422 'b["error"] == "validation"' GET /language_detection
    case_ "unknown path is a JSON 404" 404 'b["error"] == "not_found"' GET /no-such-endpoint
    case_ "wrong method is 405" 405 'b["error"] == "method_not_allowed"' DELETE /translate
    case_ "unknown discovery family is 422" 422 'b["error"] == "validation"' GET /discover/nllb

    group "OpenAPI and Swagger"
    case_ "openapi.json lists every endpoint" 200 \
        'all(p in b["paths"] for p in ["/translate", "/language_detection", "/lang_pairs", "/get_languages", "/model_name", "/healthz", "/readyz", "/cache", "/discover/{family}"])' \
        GET /openapi.json
    case_ "Swagger UI at /docs" 200 '"swagger" in t.lower()' GET /docs
    case_ "ReDoc at /redoc" 200 '"redoc" in t.lower()' GET /redoc

    group "EasyNMT compatibility"
    case_ "translate keys are exactly EasyNMT's" 200 "list(b) == $TRANSLATE_KEYS" \
        POST /translate "{\"text\": [\"$EN_1\"], \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"
    case_ "auto-detected translate keys are EasyNMT's" 200 "list(b) == $AUTO_KEYS" \
        POST /translate "{\"text\": [\"$EN_1\"], \"target_lang\": \"{tgt}\", \"source_lang\": \"\"}"
    case_ "unknown body keys are ignored" 200 'len(b["translated"]) == 1' \
        POST /translate "{\"text\": [\"$EN_1\"], \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\", \"extra\": 1}"
    case_ "language detection is a bare JSON string" 200 't.strip().startswith("\"") and isinstance(b, str)' \
        GET "/language_detection?text=Hello%20world%2C%20how%20are%20you%20today%3F"
    case_ "model_name is one of the families" 200 'b in ("opus-mt", "mbart50", "m2m100")' GET /model_name

    group "Metrics"
    case_ "metrics has http_requests_total in Prometheus text" 200 \
        'h["content-type"].startswith("text/plain") and "http_requests_total{" in t' GET /metrics
    case_ "metrics label requests by route template" 200 \
        '"path=\"/translate\"" in t and "path=\"/discover/{family}\"" in t and "path=\"/discover/opus-mt\"" not in t' \
        GET /metrics
    case_ "metrics report batches and the translation cache" 200 \
        '"nmt_batch_sentences_count" in t and "nmt_translation_cache_hits_total" in t' GET /metrics
    case_ "every response has X-Total-Time-Ms and Server-Timing" 200 \
        'float(h["x-total-time-ms"]) >= 0 and "total;dur=" in h["server-timing"]' GET /healthz
    case_ "Server-Timing of a translation has queue, inference and total" 200 \
        'all(f"{m};dur=" in h["server-timing"] for m in ("queue", "inference", "total"))' \
        POST /translate "{\"text\": \"$EN_1\", \"target_lang\": \"{tgt}\", \"source_lang\": \"{src}\"}"

    group "Translation cache"
    case_ "cache shows the translation cache" 200 \
        'isinstance(b["translation_cache"]["enabled"], bool) and b["translation_cache"]["hits_total"] >= 0' \
        GET /cache
    case_ "chunk_cache has size, limits, hits and misses" 200 \
        'list(b) == ["enabled", "entries", "capacity", "max_age_s", "max_key_chars", "hits_total", "misses_total", "hit_ratio"]' \
        GET /chunk_cache
    case_ "DELETE /cache empties the translation cache" 200 \
        'b["cleared_entries"] >= 0 and b["translation_cache"]["entries"] == 0' DELETE /cache

    group "Markup"
    case_ "html format keeps tags and attributes" 200 \
        'b["translated"].startswith("<p>") and b["translated"].endswith("</p>") and "<a href=\"/guide\">" in b["translated"] and "</a>" in b["translated"]' \
        POST /translate '{"text": "<p>Read <a href=\"/guide\">the install guide</a> first.</p>", "target_lang": "{tgt}", "source_lang": "{src}", "format": "html"}'
    case_ "html code and placeholders are not translated" 200 \
        '"<code>make run</code>" in b["translated"] and "{name}" in b["translated"]' \
        POST /translate '{"text": "<p>Run <code>make run</code> now, {name}.</p>", "target_lang": "{tgt}", "source_lang": "{src}", "format": "html"}'
    case_ "markdown format keeps headings, emphasis and link URLs" 200 \
        'b["translated"].startswith("## ") and b["translated"].count("**") == 2 and "](http://localhost:8000/docs)" in b["translated"]' \
        POST /translate '{"text": "## Setup\n\nOpen the [API docs](http://localhost:8000/docs) and read **all** of them.", "target_lang": "{tgt}", "source_lang": "{src}", "format": "markdown"}'
    case_ "html format through GET" 200 \
        'len(b["translated"]) == 1 and b["translated"][0].startswith("<p>") and "<b>" in b["translated"][0]' \
        GET "/translate?target_lang={tgt}&source_lang={src}&format=html&text=%3Cp%3EHello%20%3Cb%3Eworld%3C%2Fb%3E.%3C%2Fp%3E"
    case_ "unknown format is 422" 422 'b["error"] == "validation" and "format" in b["detail"]' \
        GET "/translate?target_lang={tgt}&source_lang={src}&format=pdf&text=Hello."

    group "LibreTranslate compatibility"
    case_ "LibreTranslate translate gives translatedText" 200 \
        'list(b) == ["translatedText"] and isinstance(b["translatedText"], str) and b["translatedText"].strip()' \
        POST /libretranslate/translate "{\"q\": \"$EN_1\", \"source\": \"{src}\", \"target\": \"{tgt}\"}"
    case_ "LibreTranslate list with source auto detects each text" 200 \
        'list(b) == ["detectedLanguage", "translatedText"] and [d["language"] for d in b["detectedLanguage"]] == ["en", "en"] and len(b["translatedText"]) == 2' \
        POST /libretranslate/translate "{\"q\": [\"$EN_1\", \"$EN_2\"], \"source\": \"auto\", \"target\": \"{tgt}\"}"
    case_ "LibreTranslate html keeps tags, alternatives is a list" 200 \
        'b["translatedText"].startswith("<p class=\"green\">") and b["translatedText"].endswith("</p>") and b["alternatives"] == []' \
        POST /libretranslate/translate '{"q": "<p class=\"green\">Hello <b>world</b>!</p>", "source": "{src}", "target": "{tgt}", "format": "html", "alternatives": 2}'
    case_ "LibreTranslate detect ranks languages with confidences" 200 \
        'b[0]["language"] == "fr" and all(set(x) == {"confidence", "language"} and 0 <= x["confidence"] <= 100 for x in b)' \
        POST /libretranslate/detect "{\"q\": \"$FR_1\"}"
    case_ "LibreTranslate languages have codes, names and targets" 200 \
        'all(list(x) == ["code", "name", "targets"] for x in b) and any(x["code"] == S and T in x["targets"] for x in b)' \
        GET /libretranslate/languages
    case_ "LibreTranslate missing q is 400 with an error" 400 'list(b) == ["error"] and "q" in b["error"]' \
        POST /libretranslate/translate '{"source": "{src}", "target": "{tgt}"}'
    case_ "LibreTranslate unknown language is 400 with an error" 400 'list(b) == ["error"] and b["error"]' \
        POST /libretranslate/translate '{"q": "Hello.", "source": "{src}", "target": "xx"}'

    group "Demo page"
    case_ "demo page is HTML" 200 'h["content-type"].startswith("text/html") and "<html" in t.lower()' GET /demo
    case_ "/ leads to the demo page" 200 'h["content-type"].startswith("text/html") and "<html" in t.lower()' GET /
    case_ "demo script is served" 200 'h["content-type"].startswith("text/javascript") and len(t) > 0' \
        GET /demo/demo.js
fi

TOTAL=$((PASSED + FAILED))
echo
echo "Summary: $PASSED passed, $FAILED failed, $TOTAL cases"
if [ "$FAILED" -gt 0 ]; then
    printf '  failed: %s\n' "${FAILED_NAMES[@]}"
    exit 1
fi
