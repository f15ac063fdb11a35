"""The command line starts without the heavy libraries: `import paragon.cli` (what `paragon
--help` and every command load first) must not import scipy, statsmodels, pandas or pyproj; each
command imports what it needs when it runs. The names the options' help shows without importing
their modules stay equal to the modules' own."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scipy", "statsmodels", "pandas", "pyproj")


def loaded_after(statement: str) -> set[str]:
    code = (f"import json, sys\n{statement}\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_paragon_cli_loads_no_heavy_library() -> None:
    loaded = loaded_after("import paragon.cli")
    assert "paragon" in loaded and "typer" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_check_sees_a_heavy_import() -> None:
    # the same check catches a module-level import of one of them
    assert "scipy" in loaded_after("import paragon.cli\nimport scipy.stats")


def test_help_names_match_their_modules() -> None:
    from paragon.cli_policeuk import REFERENCE_GROUP
    from paragon.cli_tasking import METHOD_NAMES
    from paragon.measures.stop_search import REFERENCE_GROUP as SS_REFERENCE
    from paragon.tasking.methods import METHODS

    assert tuple(METHODS) == METHOD_NAMES
    assert REFERENCE_GROUP == SS_REFERENCE
