"""The report: HTML/Markdown/JSON content, embedded charts that decode, and the page rendered in Chromium."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

import edgekit.profile as ekp
from edgekit.cli.main import main
from edgekit.errors import InvalidInputError
from edgekit.report import write_report

pytestmark = pytest.mark.xdist_group("report")  # one worker builds the shared results fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(results, tmp_path_factory) -> dict[str, Path]:
    return write_report(results, tmp_path_factory.mktemp("report"), baseline="onnx")


def _embedded_pngs(html: str) -> dict[str, Image.Image]:
    pattern = r'<img class="chart" data-chart="([^"]+)"[^>]*src="data:image/png;base64,([^"]+)"'
    found = re.findall(pattern, html)
    return {name: Image.open(io.BytesIO(base64.b64decode(data))) for name, data in found}


def test_html_is_self_contained_with_all_charts(report, results) -> None:
    html = report["html"].read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html), "no network assets"
    assert "<script" not in html
    charts = _embedded_pngs(html)
    timed = [r for r in results if r.per_op.get("timed")]
    assert set(charts) == {"latency", "size-latency", *(f"per-op-{i}" for i, r in enumerate(results)
                                                       if r.per_op.get("timed"))}
    assert len(timed) == 2  # ExecuTorch and ONNX Runtime time their ops; LiteRT's Python API cannot
    for img in charts.values():
        img.load()
        assert img.width > 300 and img.height > 100
    for r in results:
        assert r.label in html
    assert "Size, latency and accuracy" in html  # the bundle's manifest carries top-1
    assert "no per-op timings" in html


def test_speedups_are_against_the_chosen_baseline(report, results) -> None:
    doc = json.loads(report["json"].read_text())
    assert doc["kind"] == "edgekit.report"
    base = next(r for r in results if r.runtime == "onnx")
    assert doc["baseline"] == base.label
    for row, r in zip(doc["rows"], results, strict=True):
        assert row["speedup"] == pytest.approx(base.latency["p50"] / r.latency["p50"])
        assert row["baseline"] == (r is base)
        assert row["accuracy"] == pytest.approx(r.accuracy)
    assert [d["label"] for d in doc["results"]] == [r.label for r in results]


def test_markdown_links_existing_charts(report) -> None:
    md = report["markdown"].read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert "charts/latency.png" in links and len(links) >= 3
    for link in links:
        assert (report["markdown"].parent / link).is_file()
    assert "| tiny fp32/dense (baseline) | onnx |" in md


def test_unknown_or_ambiguous_baseline(results, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="matches no result"):
        write_report(results, tmp_path / "r", baseline="int8")
    with pytest.raises(InvalidInputError, match="matches several results"):
        write_report(results, tmp_path / "r", baseline="tiny")
    assert not (tmp_path / "r").exists()


def test_cli_report_from_profile_json_dir(results, tmp_path: Path, capsys) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    for i, r in enumerate(results):
        r.save(runs / f"{i}.json")
    out = tmp_path / "out"
    assert main(["report", str(runs), "--out", str(out), "--baseline", "0", "--title", "Tiny"]) == 0
    assert "report:" in capsys.readouterr().out
    assert "<title>Tiny</title>" in (out / "report.html").read_text()
    assert len(ekp.load_result(runs / "0.json").data["latency_ms"]["samples"]) == 10


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt)")
def test_page_renders_in_headless_chromium(report, tmp_path: Path) -> None:
    url = report["html"].resolve().as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120).stdout
    assert "<h1>edgekit profile report" in dom
    assert len(re.findall(r'<img class="chart"', dom)) >= 4
    assert 'id="speedup-table"' in dom and 'id="environment"' in dom
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1280,2000", url],
                   capture_output=True, timeout=120)
    img = Image.open(shot).convert("L")
    assert img.size == (1280, 2000)
    colors = img.getcolors(maxcolors=1 << 16) or []
    assert len(colors) > 50, "a blank page has a handful of colours; charts and text have many"
    dark_header = img.crop((0, 0, 1280, 60)).resize((1, 1)).getpixel((0, 0))
    assert dark_header < 60  # the header bar rendered (styles applied)


def test_terminal_summary_table(results) -> None:
    from rich.console import Console

    console = Console(record=True, width=140)
    console.print(ekp.summary_table(results, baseline=results[2]))
    text = console.export_text()
    for r in results:
        assert r.runtime in text and f"{r.latency['p50']:.3f}" in text
        assert f"{results[2].latency['p50'] / r.latency['p50']:.2f}x" in text
    assert f"{results[0].accuracy:.3f}" in text
