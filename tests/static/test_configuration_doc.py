"""docs/configuration.md is generated from template.yaml, the settings schema and the drift check's settings,
and current."""

from __future__ import annotations

from support.paths import ROOT, load_script


def _script():
    return load_script("configuration_doc")


def test_the_committed_page_is_current():
    assert _script().main(["--check"]) == 0, "run: python scripts/configuration_doc.py (or make config-doc)"


def test_every_parameter_is_listed_once_in_its_group_with_its_default():
    script = _script()
    template = script.load_template()
    text = script.render(template)
    parameters = template["Parameters"]
    rows = [line for line in text.splitlines() if line.startswith("| `") and "` | " in line]
    listed = [row.split("`")[1] for row in rows if row.split("`")[1] in parameters]
    assert sorted(listed) == sorted(parameters), "each template parameter appears exactly once"
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    for group in groups:
        heading = text.index(f"\n## {group['Label']['default']}\n")
        section = text[heading : text.index("\n## ", heading + 1)]
        for name in group["Parameters"]:
            assert f"| `{name}` | {script._default(parameters[name])} |" in section, name
    assert f"the {len(parameters)} parameters of `template.yaml`" in text


def test_every_detect_drift_setting_is_listed():
    script = _script()
    text = script.render(script.load_template())
    for env in [*script.drift_config.ENV_NAMES.values(), *script.read_limits.ENV_NAMES.values()]:
        assert f"| `{env}` |" in text, env


def test_every_global_variable_is_listed_with_its_value():
    script = _script()
    template = script.load_template()
    text = script.render(template)
    for name in template["Globals"]["Function"]["Environment"]["Variables"]:
        assert f"| `{name}` |" in text, name
    assert "| `POWERTOOLS_LOGGER_LOG_EVENT` | `false` |" in text


def test_every_setting_is_listed_once_in_its_group_with_its_default():
    script = _script()
    text = script.render(script.load_template())
    schema = script.settings_schema
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    keys = {setting.key for setting in schema.SETTINGS}
    listed = [row.split("`")[1] for row in rows if row.split("`")[1] in keys]
    assert sorted(listed) == sorted(keys), "each setting appears exactly once"
    for group in schema.GROUPS:
        heading = text.index(f"\n### {group} settings\n")
        section = text[heading : text.index("\n## ", heading + 1)]
        section = section.split("\n### ", 2)[1]
        for setting in schema.SETTINGS:
            if setting.group == group:
                assert f"| `{setting.key}` | {script._cell(script._setting_default(setting))} |" in section
    assert f"The other {len(schema.SETTINGS)} knobs are [settings](#settings)" in text


def test_a_setting_missing_from_the_page_fails_the_check(monkeypatch):
    script = _script()
    schema = script.settings_schema
    monkeypatch.setattr(schema, "SETTINGS", schema.SETTINGS[:-1])
    assert script.render(script.load_template()) != (ROOT / "docs" / "configuration.md").read_text()
