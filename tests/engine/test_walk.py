"""Reading a loaded route model: each step with where it is, what it runs under and
where it sends (``routes.walk``)."""

from __future__ import annotations

from pathlib import Path

from routes.walk import Placed, targets, walk
from routes.yaml import load_routes

ROUTE = """\
- route:
    id: pay
    from:
      uri: direct:pay
      steps:
        - to: log:first
        - filter:
            simple: "${header.due}"
            steps:
              - choice:
                  when:
                    - simple: "${header.currency} == 'CHF'"
                      steps: [{to: mock:second}]
                  otherwise:
                    steps: [{wireTap: {uri: mock:tap}}, {to: mock:main}]
              - toD: mock:${header.bank}
        - to: mock:last
"""


def steps(tmp_path: Path) -> dict[str, Placed]:
    path = tmp_path / "pay.yaml"
    path.write_text(ROUTE)
    [route] = load_routes(path).routes
    return {", ".join(targets(p.step)) or type(p.step).__name__: p for p in walk(route)}


def test_each_step_says_where_it_is_and_what_it_runs_under(tmp_path: Path) -> None:
    found = steps(tmp_path)
    assert list(found) == [
        "log:first",
        "FilterStep",
        "ChoiceStep",
        "mock:second",
        "mock:tap",
        "mock:main",
        "mock:${header.bank}",
        "mock:last",
    ]
    assert found["log:first"].unconditional
    assert found["mock:second"].under == ("${header.due}", "${header.currency} == 'CHF'")
    assert found["mock:main"].under == ("${header.due}", "otherwise")
    assert found["mock:main"].at == (1, 0, 1)


def test_before_is_for_the_route_s_own_steps_and_follows_for_what_holds_a_step(
    tmp_path: Path,
) -> None:
    found = steps(tmp_path)
    assert found["log:first"].before(found["mock:second"])
    assert not found["mock:${header.bank}"].before(found["mock:last"])  # it may be skipped
    assert found["mock:${header.bank}"].follows(found["mock:second"])  # after the choice
    assert found["mock:${header.bank}"].follows(found["mock:main"])
    assert found["mock:main"].follows(found["mock:tap"])
    assert not found["mock:main"].follows(found["mock:second"])  # another branch
    assert not found["mock:second"].follows(found["mock:${header.bank}"])
