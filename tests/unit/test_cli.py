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
