"""The `mostlylucid-nmt` commands. Each parses its options, calls one module, and prints the result.

Results go to stdout (plain, or JSON with `--json`); progress bars, notes and errors go to stderr, so output
can be piped. Configuration is the service's own: the environment variables in the README, read by
`load_settings`; options here only override a few of them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from huggingface_hub.utils.tqdm import disable_progress_bars
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from mostlylucid_nmt.cli import download as downloads
from mostlylucid_nmt.cli import model_cache
from mostlylucid_nmt.cli.clients import Client, LocalClient, RemoteClient
from mostlylucid_nmt.cli.documents import (
    STDIN_NAME,
    Document,
    chunk_lines,
    read_documents,
    request_groups,
)
from mostlylucid_nmt.cli.errors import EXIT_BAD_INPUT, CliError, reported_failures
from mostlylucid_nmt.cli.serve import exec_gunicorn
from mostlylucid_nmt.logs import configure_logging
from mostlylucid_nmt.settings import Settings, load_settings, parse_pairs

app = typer.Typer(
    name="mostlylucid-nmt",
    help="Translate with the mostlylucid-nmt service: serve it, download its models, or use it from the shell.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(
    help="The downloaded-model cache in MODEL_CACHE_DIR (hub repositories and CTranslate2 copies).",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")

_stderr = Console(stderr=True)
_verbose = False

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Base URL of a running server (e.g. http://localhost:8000). Without it, models load in this process.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
FilesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--file",
        "-f",
        exists=True,
        dir_okay=False,
        readable=True,
        help="A UTF-8 text file; repeat for several.",
    ),
]
TextsArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Texts, one per argument. Without any: the --file files, else standard input."),
]


@app.callback()
def _options(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log at INFO (default: warnings only).")
    ] = False,
) -> None:
    global _verbose
    _verbose = verbose


# --- serve ------------------------------------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (WEB_CONCURRENCY).")] = None,
) -> None:
    """Run the server (gunicorn + uvicorn workers), configured by the environment like `make run`."""
    overrides = {"host": host, "port": port, "web_concurrency": workers}
    with reported_failures():
        exec_gunicorn({name: value for name, value in overrides.items() if value is not None})


# --- download ---------------------------------------------------------------------------------------------------
@app.command()
def download(
    pairs: Annotated[
        str,
        typer.Argument(
            help='Language pairs as in PRELOAD_MODELS, e.g. "en->de,de->en". Empty: nothing to do.'
        ),
    ] = "",
    models: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="A hub repository id to fetch as well; repeat for several."),
    ] = None,
    family: Annotated[
        str | None,
        typer.Option(help="Primary model family for the pairs (MODEL_FAMILY): opus-mt, mbart50, m2m100."),
    ] = None,
    convert: Annotated[
        bool, typer.Option("--convert", help="Also make the CTranslate2 copies, so the server starts warm.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or notes.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fetch the models that language pairs need into MODEL_CACHE_DIR, as the server would choose them."""
    with reported_failures():
        # As MODEL_FAMILY: EasyNMT's names work too, and m2m_100_1.2B also picks that checkpoint.
        settings = _settings(**({"model_family": family} if family else {}))
        try:
            wanted = parse_pairs(pairs)
        except ValueError as exc:
            raise CliError(str(exc), EXIT_BAD_INPUT) from None
        planned = downloads.plan_downloads(settings, wanted, models or [])
        if convert:
            downloads.check_can_convert(settings)
        if quiet:
            disable_progress_bars()
        announce = _silent if quiet else _note
        fetched = [downloads.fetch(settings, model, convert=convert, announce=announce) for model in planned]
        if as_json:
            _print_json(
                {"cache_dir": str(settings.model_cache_dir), "models": [item.as_json() for item in fetched]}
            )
            return
        if not fetched:
            announce("nothing to download")
        for item in fetched:
            extra = f" (converted: {item.converted})" if item.converted else ""
            typer.echo(f"{item.repo_id}\t{item.path}{extra}")


# --- translate --------------------------------------------------------------------------------------------------
@app.command()
def translate(
    target: Annotated[str, typer.Option("--target", "-t", help="Language to translate into, e.g. de.")],
    texts: TextsArgument = None,
    source: Annotated[
        str, typer.Option("--source", "-s", help="Source language; default: detect per text.")
    ] = "",
    files: FilesOption = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            file_okay=False,
            help="Write each translated file here as NAME.<target>.EXT.",
        ),
    ] = None,
    beam_size: Annotated[int, typer.Option("--beam-size", help="Beam search width.")] = 5,
    split: Annotated[bool, typer.Option("--split/--no-split", help="Split texts into sentences.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """Translate texts, files or standard input (files line-preserving, with a progress bar)."""
    with reported_failures():
        if texts and files:
            raise CliError("give either texts or --file, not both", EXIT_BAD_INPUT)
        if output_dir is not None and not files:
            raise CliError("--output-dir is for --file input", EXIT_BAD_INPUT)
        documents = None if texts else read_documents(files or [], sys.stdin)
        started = time.perf_counter()
        with _client(url) as client:
            if documents is None:
                assert texts
                translated, detected = _translate_texts(client, texts, target, source, beam_size, split)
            else:
                results = _translate_documents(
                    client, documents, target, source, beam_size, split, quiet=quiet
                )
        seconds = time.perf_counter() - started
        if documents is None:
            _print_texts(translated, detected, target, source, seconds, as_json)
        else:
            _print_documents(
                results, _write_documents(results, output_dir, target), target, source, seconds, as_json
            )


def _translate_texts(
    client: Client, texts: Sequence[str], target: str, source: str, beam_size: int, split: bool
) -> tuple[list[str], list[str] | None]:
    translated: list[str] = []
    detected: list[str] = []
    for group in request_groups(texts):
        result = client.translate(group, target, source, beam_size, split)
        translated += result.translated
        detected += result.detected_langs or []
    return translated, (detected if not source else None)


_DocumentResult = tuple[Document, str, list[str] | None]


def _translate_documents(
    client: Client,
    documents: Sequence[Document],
    target: str,
    source: str,
    beam_size: int,
    split: bool,
    *,
    quiet: bool,
) -> list[_DocumentResult]:
    results: list[_DocumentResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_stderr, disable=quiet, transient=False) as progress:
        for document in documents:
            task = progress.add_task(document.name, total=max(1, len(document.text)))
            translated: list[str] = []
            detected: list[str] = []
            for group in request_groups(chunk_lines(document.text)):
                result = client.translate(group, target, source, beam_size, split)
                translated += result.translated
                detected += result.detected_langs or []
                progress.advance(task, sum(len(chunk) for chunk in group))
            progress.update(task, completed=max(1, len(document.text)))
            languages = list(dict.fromkeys(detected))
            results.append((document, "".join(translated), languages if not source else None))
    return results


def _write_documents(
    results: Sequence[_DocumentResult], output_dir: Path | None, target: str
) -> list[Path | None]:
    if output_dir is None:
        return [None] * len(results)
    output_dir.mkdir(parents=True, exist_ok=True)
    outputs: list[Path | None] = []
    for document, translated, _ in results:
        path = Path(document.name)
        output = output_dir / f"{path.stem}.{target}{path.suffix}"
        output.write_text(translated, encoding="utf-8")
        outputs.append(output)
    return outputs


def _print_texts(
    translated: list[str], detected: list[str] | None, target: str, source: str, seconds: float, as_json: bool
) -> None:
    if not as_json:
        for text in translated:
            typer.echo(text)
        return
    # EasyNMT's answer to a list of texts.
    body: dict[str, Any] = {"target_lang": target, "source_lang": source or None}
    if detected is not None:
        body["detected_langs"] = detected
    body["translated"] = translated
    body["translation_time"] = seconds
    _print_json(body)


def _print_documents(
    results: Sequence[_DocumentResult],
    outputs: Sequence[Path | None],
    target: str,
    source: str,
    seconds: float,
    as_json: bool,
) -> None:
    if as_json:
        files = []
        for (document, translated, detected), output in zip(results, outputs, strict=True):
            entry: dict[str, Any] = {"file": document.name}
            if detected is not None:
                entry["detected_langs"] = detected
            entry["translated"] = translated
            entry["output"] = str(output) if output else None
            files.append(entry)
        _print_json(
            {
                "target_lang": target,
                "source_lang": source or None,
                "files": files,
                "translation_time": seconds,
            }
        )
        return
    for (_, translated, _), output in zip(results, outputs, strict=True):
        if output is None:
            sys.stdout.write(translated)
        else:
            _note(f"wrote {output}")


# --- detect -----------------------------------------------------------------------------------------------------
@app.command()
def detect(
    texts: TextsArgument = None,
    files: FilesOption = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """Detect the language of each text, of each whole file, or of standard input."""
    with reported_failures():
        if texts and files:
            raise CliError("give either texts or --file, not both", EXIT_BAD_INPUT)
        documents = None if texts else read_documents(files or [], sys.stdin)
        inputs = list(texts) if texts else [document.text for document in documents or []]
        with _client(url) as client:
            codes = [code for group in request_groups(inputs) for code in client.detect(group)]
        if documents is None:
            if as_json:
                _print_json(codes)
            else:
                typer.echo("\n".join(codes))
        elif as_json:
            _print_json({document.name: code for document, code in zip(documents, codes, strict=True)})
        else:
            for document, code in zip(documents, codes, strict=True):
                typer.echo(code if document.name == STDIN_NAME else f"{code}\t{document.name}")


# --- languages --------------------------------------------------------------------------------------------------
@app.command()
def languages(
    pairs: Annotated[
        bool, typer.Option("--pairs", help='List the pairs served ("src-tgt") instead.')
    ] = False,
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Only the targets of this source.")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Only the sources of this target.")
    ] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """The languages (or language pairs) the service can translate, as /get_languages and /lang_pairs."""
    with reported_failures():
        if pairs and (source or target):
            raise CliError("--pairs lists every pair; leave out --source and --target", EXIT_BAD_INPUT)
        if source and target:
            raise CliError("give --source or --target, not both", EXIT_BAD_INPUT)
        with _client(url) as client:
            found = client.pairs() if pairs else client.languages(source_lang=source, target_lang=target)
        if as_json:
            _print_json(found)
        elif found:
            typer.echo("\n".join(found))


# --- cache ------------------------------------------------------------------------------------------------------
@cache_app.command("list")
def cache_list(as_json: JsonOption = False, url: UrlOption = None) -> None:
    """Models in MODEL_CACHE_DIR with their sizes; with --url, the server's loaded models (/cache)."""
    with reported_failures():
        if url:
            remote = RemoteClient(url)
            try:
                state = remote.model_cache()
            finally:
                remote.close()
            _print_server_cache(state, as_json)
            return
        contents = model_cache.scan(_settings().model_cache_dir)
        if as_json:
            _print_json(contents.as_json())
            return
        _print_cache(contents)


@cache_app.command("clear")
def cache_clear(
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--model", "-m", help="Only this repository (and its CTranslate2 copies); repeat for several."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete downloaded models and CTranslate2 copies from MODEL_CACHE_DIR."""
    with reported_failures():
        contents = model_cache.scan(_settings().model_cache_dir)
        selected = set(models or [])
        count = sum(1 for model in contents.models if not selected or model.repo_id in selected)
        count += sum(1 for copy in contents.converted if not selected or copy.repo_id in selected)
        if count == 0 and not selected:
            _note(f"{contents.cache_dir} holds no models")
            return
        if not yes:
            typer.confirm(f"Delete {count} entries from {contents.cache_dir}?", abort=True, err=True)
        for path in model_cache.clear(contents, selected):
            typer.echo(f"removed {path}")


def _print_cache(contents: model_cache.CacheContents) -> None:
    if not contents.models and not contents.converted:
        _note(f"{contents.cache_dir} holds no models")
        return
    table = Table("kind", "model", "size", "files / state", "path", box=None, pad_edge=False)
    for model in contents.models:
        size = model_cache.human_size(model.size_bytes)
        table.add_row("hub", model.repo_id, size, str(model.files), str(model.path))
    for copy in contents.converted:
        state = "complete" if copy.complete else "incomplete"
        table.add_row(
            "ctranslate2", copy.repo_id, model_cache.human_size(copy.size_bytes), state, str(copy.path)
        )
    # Piped output keeps whole paths and names rather than cutting them to a terminal's width.
    Console(width=None if sys.stdout.isatty() else 1000).print(table)
    typer.echo(f"total {model_cache.human_size(contents.total_bytes)} in {contents.cache_dir}")


def _print_server_cache(state: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(state)
        return
    typer.echo(
        f"backend {state.get('backend')} on {state.get('device')}, family {state.get('model_family')}, "
        f"{len(state.get('loaded', []))} of {state.get('capacity')} models loaded"
    )
    for model in state.get("loaded", []):
        typer.echo(f"{model.get('model')}\t{model.get('family')}\tuses {model.get('uses')}")


# --- shared -----------------------------------------------------------------------------------------------------
def _settings(**overrides: Any) -> Settings:
    """The service settings; logs go to stderr at WARNING (INFO with --verbose) unless LOG_LEVEL is set."""
    settings = load_settings(**overrides)
    if "log_level" in settings.model_fields_set:
        configure_logging(settings)
    else:
        configure_logging(settings.model_copy(update={"log_level": "INFO" if _verbose else "WARNING"}))
    return settings


@contextmanager
def _client(url: str | None) -> Iterator[Client]:
    # In-process there is no client to answer in time for: a first model download may take minutes, so the
    # whole-request deadline (TRANSLATE_TIMEOUT_SEC) is off.
    client: Client = RemoteClient(url) if url else LocalClient(_settings(translate_timeout_s=0))
    try:
        yield client
    finally:
        client.close()


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _note(message: str) -> None:
    _stderr.print(message, markup=False, highlight=False)


def _silent(message: str) -> None:
    del message
