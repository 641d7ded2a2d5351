"""Write docs/configuration.md from the template's parameters, the stack's settings schema, its functions'
shared environment and the drift check's settings.

    python scripts/configuration_doc.py            # rewrite docs/configuration.md
    python scripts/configuration_doc.py --check    # exit 1 when docs/configuration.md is out of date

A test runs ``--check``, so the page can never drift from ``template.yaml`` (every parameter with its
default, allowed values and description, grouped as the template's ``Metadata`` ``ParameterGroups``
group them in the console; every setting of ``drift_retrain.settings.schema`` with its default, accepted
values and meaning; every variable of ``Globals`` with its value and meaning) or from
``drift_retrain.engine.config`` and ``drift_retrain.engine.read_limits``
(DetectDrift's settings: environment variable, ``check --set`` key, default, accepted values, meaning).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
OUTPUT = ROOT / "docs" / "configuration.md"
for _source in (ROOT / "layers" / "drift_core",):
    if str(_source) not in sys.path:
        sys.path.insert(0, str(_source))

from drift_retrain.engine import config as drift_config  # noqa: E402
from drift_retrain.engine import read_limits  # noqa: E402
from drift_retrain.settings import schema as settings_schema  # noqa: E402


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags: ``!Ref X`` becomes ``{"Ref": "X"}``, other tags their value."""


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref": value} if suffix == "Ref" else {suffix: value}


_TemplateLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)


def _cell(text: Any) -> str:
    """One Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("``", "`").replace("|", "\\|")


def _default(spec: dict[str, Any]) -> str:
    if "Default" not in spec:
        return "(required)"
    value = spec["Default"]
    return "*(empty)*" if value == "" else f"`{value}`"


def _allowed(spec: dict[str, Any]) -> str:
    """What CloudFormation accepts: the values, the range, the pattern, the length."""
    parts = []
    if "AllowedValues" in spec:
        parts.append(", ".join(f"`{value}`" for value in spec["AllowedValues"]))
    low, high = spec.get("MinValue"), spec.get("MaxValue")
    if low is not None and high is not None:
        parts.append(f"{low} to {high}")
    elif low is not None:
        parts.append(f">= {low}")
    elif high is not None:
        parts.append(f"<= {high}")
    if "AllowedPattern" in spec:
        parts.append(f"pattern `{spec['AllowedPattern']}`")
    if "MaxLength" in spec:
        parts.append(f"at most {spec['MaxLength']} characters")
    kind = spec.get("Type", "String")
    return "; ".join(parts) if parts else ("a number" if kind == "Number" else "any text")


def _parameter_rows(names: list[str], parameters: dict[str, Any]) -> list[str]:
    lines = ["| parameter | default | allowed values | description |", "|---|---|---|---|"]
    for name in names:
        spec = parameters[name]
        lines.append(
            f"| `{name}` | {_cell(_default(spec))} | {_cell(_allowed(spec))} | {_cell(spec.get('Description', ''))} |"
        )
    return lines


def _attribute_docs(cls: type) -> dict[str, str]:
    """The numpy-style ``Attributes`` section of a class docstring: name -> text on one line."""
    doc = inspect.getdoc(cls) or ""
    section = doc.split("Attributes\n----------\n", 1)[-1] if "Attributes\n" in doc else ""
    texts: dict[str, list[str]] = {}
    current = None
    for line in section.splitlines():
        match = re.match(r"^(\w+):\s*$", line)
        if match:
            current = match.group(1)
            texts[current] = []
        elif current and line.strip():
            texts[current].append(line.strip())
    return {name: " ".join(words) for name, words in texts.items()}


def _detect_drift_settings(template: dict[str, Any]) -> dict[str, str]:
    """Environment variable -> the stack setting DetectDrift reads it from (its function gets ``SETTINGS``)."""
    function = template["Resources"]["DetectDriftFunction"]["Properties"]
    variables = function.get("Environment", {}).get("Variables", {})
    if variables.get("SETTINGS") != {"Ref": "Settings"}:
        return {}
    return {setting.env_name: setting.key for setting in settings_schema.SETTINGS if setting.env}


def _setting_accepts(setting: settings_schema.Setting) -> str:
    if setting.kind == "bool":
        return "`true`, `false`"
    if setting.choices:
        names = ", ".join(f"`{choice}`" for choice in setting.choices)
        return f"comma-separated, each one of {names}" if setting.kind == "names" else names
    if setting.kind == "names":
        return "comma-separated names"
    if setting.kind == "json":
        return "a JSON object of strings"
    what = "a whole number" if setting.kind == "int" else "a number"
    return f"{what} {setting.limits.describe()}" if setting.limits else what


def _setting_default(setting: settings_schema.Setting) -> str:
    value = setting.default
    if isinstance(value, bool):
        return f"`{'true' if value else 'false'}`"
    if value == "":
        return "*(empty)*"
    return _setting_value(value)


def _setting_reader(setting: settings_schema.Setting) -> str:
    readers = []
    if setting.env:
        readers.append(f"Lambdas (`{setting.env_name}`)")
    if setting.template:
        readers.append(f"template (`ValidatedSettings.{setting.attribute}`)")
    return "; ".join(readers) or "Lambdas (`HYPERPARAMETERS`)"


def _stack_settings_rows(group: str) -> list[str]:
    lines = ["| key | default | accepted values | read by | meaning |", "|---|---|---|---|---|"]
    for setting in settings_schema.SETTINGS:
        if setting.group == group:
            lines.append(
                f"| `{setting.key}` | {_cell(_setting_default(setting))} | {_cell(_setting_accepts(setting))} "
                f"| {_cell(_setting_reader(setting))} | {_cell(setting.doc)} |"
            )
    return lines


def _setting_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "*(none)*" if not value else f"`{','.join(map(str, value))}`"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10_000:
        return f"`{value}` ({value:,})"
    return f"`{value}`"


def _settings_rows(template: dict[str, Any]) -> list[str]:
    parameter_of = _detect_drift_settings(template)
    lines = [
        "| variable | `check --set` key | stack setting | default | accepted values | meaning |",
        "|---|---|---|---|---|---|",
    ]
    docs = _attribute_docs(drift_config.DriftConfig)
    for item in fields(drift_config.DriftConfig):
        env = drift_config.ENV_NAMES[item.name]
        if item.name in drift_config.CHOICES:
            accepted = ", ".join(f"`{choice}`" for choice in drift_config.CHOICES[item.name])
        elif item.name in drift_config.LIMITS:
            accepted = drift_config.LIMITS[item.name].describe()
        else:
            accepted = "comma-separated names" if isinstance(item.default, tuple) else "any"
        parameter = f"`{parameter_of[env]}`" if env in parameter_of else "-"
        lines.append(
            f"| `{env}` | `{item.name}` | {parameter} | {_cell(_setting_value(item.default))} | {_cell(accepted)} "
            f"| {_cell(docs.get(item.name, ''))} |"
        )
    limit_docs = _attribute_docs(read_limits.ReadLimits)
    for item in fields(read_limits.ReadLimits):
        env = read_limits.ENV_NAMES.get(item.name)
        if env is None:
            continue
        parameter = f"`{parameter_of[env]}`" if env in parameter_of else "-"
        accepted = ">= 1"
        default = item.default if not float(item.default).is_integer() else int(item.default)
        lines.append(
            f"| `{env}` | - | {parameter} | {_cell(_setting_value(default))} | {accepted} "
            f"| {_cell(limit_docs.get(item.name, ''))} |"
        )
    return lines


#: What each variable of the template's ``Globals`` means; a variable added there without one stops the page.
GLOBAL_VARIABLES = {
    "DATA_BUCKET": "The stack's data bucket: every function reads and writes there.",
    "POWERTOOLS_METRICS_NAMESPACE": "CloudWatch namespace of every function's metrics (Powertools Metrics).",
    "POWERTOOLS_LOG_LEVEL": "Level of the functions' JSON logs (Powertools Logger).",
    "POWERTOOLS_LOGGER_LOG_EVENT": (
        "`true` logs each invocation's event (Powertools Logger). Off because an event can carry a failure's "
        "cause, which may quote cells of your data: turn it on for one function (in its own `Environment`) "
        "only to debug, on data you may log."
    ),
}


def _value(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"`!Ref {value['Ref']}`"
    return f"`{value}`"


def _global_rows(template: dict[str, Any]) -> list[str]:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    lines = ["| variable | value | meaning |", "|---|---|---|"]
    for name, value in variables.items():
        lines.append(f"| `{name}` | {_cell(_value(value))} | {_cell(GLOBAL_VARIABLES[name])} |")
    return lines


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def render(template: dict[str, Any]) -> str:
    """The whole page."""
    parameters = template["Parameters"]
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in group["Parameters"]]
    ungrouped = [name for name in parameters if name not in grouped]
    settings = settings_schema.SETTINGS
    lines = [
        "# Configuration: the template's parameters and the stack's settings",
        "",
        "<!-- Generated by scripts/configuration_doc.py from template.yaml, drift_retrain.settings.schema and",
        "     drift_retrain.engine.config; do not edit by hand: run `make config-doc` (a static test fails when",
        "     this page is stale). -->",
        "",
        f"`sam deploy --guided` asks for the {len(parameters)} parameters of `template.yaml`, grouped below as the",
        "CloudFormation console groups them (the template's `Metadata` `ParameterGroups`); every one has a",
        f"default. The other {len(settings)} knobs are [settings](#settings): keys of the one `Settings`",
        "parameter, a JSON object of only the keys you change, checked when you deploy. Deploying, costs and",
        "teardown: [deployment.md](deployment.md). DetectDrift's drift-check settings, which `drift-retrain",
        "check` takes with `--set`, are [at the end](#detectdrifts-settings).",
        "",
        "| group | parameters |",
        "|---|---|",
    ]
    for group in groups:
        title = group["Label"]["default"]
        lines.append(f"| [{_cell(title)}](#{_anchor(title)}) | {len(group['Parameters'])} |")
    if ungrouped:
        lines.append(f"| [Other parameters](#other-parameters) | {len(ungrouped)} |")
    for group in groups:
        lines += ["", f"## {group['Label']['default']}", ""]
        lines += _parameter_rows(group["Parameters"], parameters)
    if ungrouped:
        lines += ["", "## Other parameters", ""]
        lines += _parameter_rows(ungrouped, parameters)
    lines += [
        "",
        "## Settings",
        "",
        "Every key of the `Settings` parameter, with its default. Give only the keys you change, as a JSON",
        'object, for example `sam deploy --parameter-overrides "Settings=\'{\\"alpha\\":0.01}\'"`',
        "([deployment.md](deployment.md#settings)). The `ValidatedSettings` custom resource checks the object",
        "against this schema (`layers/drift_core/drift_retrain/settings/schema.py`) before anything uses it: an",
        "unknown key or a value out of range fails the deploy, and the stack rolls back, with a message that",
        "names the key and the nearest valid one. The Lambdas read the same JSON (`SETTINGS`), parsed and",
        "checked once per execution environment; the template's other resources read the validated values",
        "(`!GetAtt ValidatedSettings.<Name>`). `drift-retrain local run --set key=value` sets them locally.",
        "",
        "| group | settings |",
        "|---|---|",
    ]
    for group in settings_schema.GROUPS:
        count = sum(1 for setting in settings if setting.group == group)
        lines.append(f"| [{_cell(group)}](#{_anchor(group)}-settings) | {count} |")
    for group in settings_schema.GROUPS:
        lines += ["", f"### {group} settings", ""]
        lines += _stack_settings_rows(group)
    lines += [
        "",
        "## Every function's environment",
        "",
        "The template's `Globals` set these variables on every function; each function adds",
        "`POWERTOOLS_SERVICE_NAME` and its own settings. A variable set in a function's `Environment`",
        "overrides the global one.",
        "",
        *_global_rows(template),
    ]
    lines += [
        "",
        "## DetectDrift's settings",
        "",
        "DetectDrift reads these environment variables; those with a stack setting come from `Settings`, and",
        "the others keep their defaults. `drift-retrain check` takes the same settings in lower case with",
        "`--set KEY=VALUE` and validates them the same way ([cli.md](cli.md#settings-check---set-keyvalue));",
        "the other commands use the defaults. PrepareTrainingData reads the five read limits too.",
        "",
        *_settings_rows(template),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed page is out of date")
    args = parser.parse_args(argv)
    text = render(load_template())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(
                f"{OUTPUT.relative_to(ROOT)} is stale: run python scripts/configuration_doc.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
