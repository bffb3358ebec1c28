"""helpdesk.jsonsafe: the one JSON reader for bodies and frames from strangers."""

import pytest

from helpdesk import jsonsafe


@pytest.mark.parametrize(
    "text, problem",
    [
        ("[" * 50_000, "nested deeper than"),
        ("[" * (jsonsafe.MAX_DEPTH + 1) + "]" * (jsonsafe.MAX_DEPTH + 1), "nested deeper than"),
        ('{"a": [{"b": [' + "[" * jsonsafe.MAX_DEPTH + "]" * jsonsafe.MAX_DEPTH + "]}]}", "nested deeper than"),
        ('{"\\ud800": 1}', "lone surrogate (\\ud800)"),
        ('["fine", {"k": "\\uDFFF"}]', "lone surrogate (\\udfff)"),
        ('"\\ude00\\ud83d"', "lone surrogate"),  # a pair in the wrong order is two lone halves
        ("{not json", "Expecting property name"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_refused_with_the_reason(text, problem):
    with pytest.raises(jsonsafe.UnsafeJSON) as error:
        jsonsafe.loads(text)
    assert problem in str(error.value)


def test_ordinary_json_and_surrogate_pairs_pass():
    assert jsonsafe.loads('{"type": "ping", "emoji": "\\ud83d\\ude00", "n": [1, [2, [3]]]}') == {
        "type": "ping",
        "emoji": "\U0001f600",
        "n": [1, [2, [3]]],
    }
    depth = jsonsafe.MAX_DEPTH
    assert jsonsafe.loads("[" * depth + "]" * depth) is not None
    # Many brackets side by side are wide, not deep.
    assert len(jsonsafe.loads("[" + ",".join(["[]"] * 500) + "]")) == 500


def test_a_raw_surrogate_in_a_python_string_is_refused():
    with pytest.raises(jsonsafe.UnsafeJSON):
        jsonsafe.loads('"\ud800"')


def test_parse_constant_refusals_are_unsafe_json():
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    with pytest.raises(jsonsafe.UnsafeJSON, match="NaN is not JSON"):
        jsonsafe.loads("[NaN]", parse_constant=refuse)
