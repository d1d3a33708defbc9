"""Every ``>>>`` example in fasttag's docstrings runs and prints what it shows, as numpy's and scikit-learn's
docstrings are checked: one test per docstring, run by doctest (ELLIPSIS, NORMALIZE_WHITESPACE) in an empty
namespace, so an example imports what it uses as a reader would, and in a temporary working directory, which
keeps the files an example writes. Lines that cannot run here (a CUDA GPU, a dataset that is not shipped) carry
``# doctest: +SKIP`` in the docstring itself.

No module is skipped: every one imports without a GPU (fasttag.cuda imports numba's CUDA on the first GPU call),
so a module that fails to import is a failing test, and a package that fails to import stops the collection.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fasttag

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: Floors on what the finder collects (33 docstrings, 185 examples now): a finder that lost them fails.
MIN_DOCSTRINGS, MIN_EXAMPLES = 30, 150
#: Modules whose examples need an optional dependency, and that dependency: skipped, with the reason, without it.
REQUIRES = {"fasttag.plot": "matplotlib"}  # the "plot" extra


def _module_names() -> list[str]:
    """fasttag and every module under it (pkgutil imports the packages to look inside them)."""

    def fail(name: str):
        raise ImportError(f"the package {name} does not import")  # pkgutil's default skips it silently

    walk = pkgutil.walk_packages(fasttag.__path__, "fasttag.", onerror=fail)
    return ["fasttag", *sorted(info.name for info in walk)]


def _docstrings() -> list:
    """A pytest param (module name, doctest.DocTest) per docstring with examples; (module name, the error) for a
    module that fails to import, so that it fails while the other modules' examples still run."""
    finder = doctest.DocTestFinder()
    params = []
    for name in _module_names():
        try:
            module = importlib.import_module(name)
        except Exception as error:
            params.append(pytest.param(name, error, id=f"{name} (import)"))
            continue
        for test in finder.find(module, name):
            if test.examples:
                test.globs = {}  # not the module's names
                params.append(pytest.param(name, test, id=test.name))
    return params


DOCSTRINGS = _docstrings()


def test_the_finder_collects_the_examples():
    tests = [p.values[1] for p in DOCSTRINGS if isinstance(p.values[1], doctest.DocTest)]
    n_examples = sum(len(test.examples) for test in tests)
    found = f"{n_examples} examples in {len(tests)} docstrings found"
    assert len(tests) >= MIN_DOCSTRINGS and n_examples >= MIN_EXAMPLES, found


@pytest.mark.parametrize(("module", "test"), DOCSTRINGS)
def test_docstring_example(module, test, tmp_path, monkeypatch):
    if isinstance(test, Exception):
        raise test
    if module in REQUIRES:
        pytest.importorskip(REQUIRES[module])
    monkeypatch.setenv("MPLBACKEND", "Agg")  # pyplot draws off screen
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(verbose=False, optionflags=OPTIONS)
    report = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
