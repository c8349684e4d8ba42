"""YAML loading with line numbers, overrides and error locations."""

import pytest

from sim.config.loader import ConfigError, apply_override, format_path, load_yaml, locate, parse_path


def test_scientific_floats_without_dot():
    data, _ = load_yaml("a: 1e-6\nb: -2.5E+3\nc: 3\nd: '1e-6'\n")
    assert data == {"a": 1e-6, "b": -2500.0, "c": 3, "d": "1e-6"}
    assert isinstance(data["a"], float)


def test_lines_of_nested_keys():
    data, lines = load_yaml("top:\n  list:\n    - {x: 1}\n    - y: 2\n      z: 3\n")
    assert lines[("top",)] == 2 or lines[("top",)] == 1
    assert lines[("top", "list", 1, "z")] == 5
    assert data["top"]["list"][1] == {"y": 2, "z": 3}


def test_duplicate_key_rejected():
    with pytest.raises(ConfigError, match="duplicate key 'a'"):
        load_yaml("a: 1\na: 2\n", "f.yaml")


def test_syntax_error_has_line():
    with pytest.raises(ConfigError) as err:
        load_yaml("a: 1\nb: [1, 2\n", "f.yaml")
    assert err.value.file == "f.yaml" and err.value.line is not None


def test_paths_round_trip():
    assert parse_path("geometry.layers[0].thickness") == ("geometry", "layers", 0, "thickness")
    assert parse_path("geometry.layers.0.thickness") == ("geometry", "layers", 0, "thickness")
    assert format_path(("geometry", "layers", 0, "thickness")) == "geometry.layers[0].thickness"


def test_override_sets_nested_and_list_values():
    data, lines = load_yaml("g:\n  layers:\n    - {t: 1}\n    - {t: 2}\n")
    apply_override(data, lines, "g.layers[1].t=5.0e-6")
    apply_override(data, lines, "new.key=[1, 2]")
    assert data["g"]["layers"][1]["t"] == 5e-6
    assert data["new"]["key"] == [1, 2]
    assert lines[("g", "layers", 1, "t")] == "--set"


def test_override_bad_index():
    data, lines = load_yaml("g: [1, 2]\n")
    with pytest.raises(ConfigError, match=r"no list item 5"):
        apply_override(data, lines, "g[5].x=1")


def test_locate_skips_discriminator_tags():
    data, lines = load_yaml("geometry:\n  kind: layers\n  layers:\n    - {name: a, thickness: 0}\n")
    path, line = locate(("geometry", "layers", "layers", 0, "thickness"), data, lines)
    assert path == ("geometry", "layers", 0, "thickness")
    assert line == 4
