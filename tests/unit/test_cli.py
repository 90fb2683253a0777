from __future__ import annotations

import pytest

from vertapp import __version__
from vertapp.cli import COMMANDS, build_parser, main


def test_every_contract_command_is_registered() -> None:
    assert set(COMMANDS) >= {
        "gui",
        "demo",
        "info",
        "convert",
        "preprocess",
        "train",
        "predict",
        "evaluate",
    }
    build_parser()  # every command module imports and declares its arguments


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_user_error_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["info", "/definitely/not/here.nii.gz"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("vertapp info: error:")
    assert "Traceback" not in err


def _crash(args) -> int:
    raise ZeroDivisionError("something in /data/Doe^John/ct.nii went wrong")


def test_unexpected_exception_is_one_line_and_logged(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import vertapp.commands.info as info

    monkeypatch.setenv("VERTAPP_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(info, "run", _crash)
    assert main(["info", "whatever.nii"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("vertapp info: unexpected error (ZeroDivisionError: ")
    assert "Doe^John" not in err and str(tmp_path / "vertapp.log") in err
    logged = (tmp_path / "vertapp.log").read_text(encoding="utf-8")
    assert "Traceback" in logged and "_crash" in logged and "Doe^John" not in logged


def test_verbose_shows_the_traceback(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import vertapp.commands.info as info

    monkeypatch.setenv("VERTAPP_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(info, "run", _crash)
    assert main(["--verbose", "info", "whatever.nii"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_reader_that_leaves_early_ends_the_command_quietly() -> None:
    """`vertapp about | head -1`: the pipe closes, the command exits 0 without a traceback."""
    import subprocess
    import sys

    code = (
        "import sys; from vertapp import cli\n"
        "class M:\n"
        "    def add_arguments(p): pass\n"
        "    def run(args):\n"
        "        for _ in range(100000): print('x' * 80)\n"
        "cli._command_module = lambda name: M\n"
        "sys.exit(cli.main(['info']))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_training_and_prediction_settings_out_of_range_are_refused_in_words(
    tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """`--set lr=abc` was "unexpected error (TypeError …)"; `--val-fraction 1.5` and
    `--score 1.5` were taken (the latter predicted nothing)."""
    import pytest

    from tests.unit.ml.spines import spine_samples, write_coco_dataset

    folder = tmp_path / "proj"
    write_coco_dataset(folder, spine_samples(1))
    out = str(tmp_path / "m.pt")
    assert main(["train", str(folder), "--out", out, "--set", "lr=abc"]) == 1
    assert "lr takes a float, like 0.01" in capsys.readouterr().err
    assert main(["train", str(folder), "--out", out, "--val-fraction", "1.5"]) == 1
    assert "val_fraction must lie in 0..1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(
            ["predict", "starter", str(folder), "--out", str(tmp_path / "p.json"), "--score", "1.5"]
        )
    assert "not a confidence in 0..1" in capsys.readouterr().err
