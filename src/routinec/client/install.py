"""Client layer: the GitHub Actions step that installs routinec, the one definition shared by
`routinec init`'s workflow and the workflows `routinec gen workflows` writes.

routinec is on no package index, so CI installs it from a copy of its source: a git URL or a
wheel, named by the repository variable ROUTINEC_SOURCE, or fixed in the project by
`[tool.routinec] install` (written into the workflow instead of the variable). An extra
(`anthropic`, for workflows that call the API) is added in the form pip accepts for each:
`routinec[anthropic] @ git+https://…` for a URL, `path.whl[anthropic]` for a wheel or a source
directory; a value that is already a `name[…] @ URL` requirement is used as it is.
"""

from __future__ import annotations

import json

__all__ = ["SOURCE_VARIABLE", "install_step"]

SOURCE_VARIABLE = "ROUTINEC_SOURCE"
_INDENT = "      "  # a step under `jobs.<job>.steps`, as both workflows lay them out


def install_step(*, source: str | None = None, extra: str | None = None) -> str:
    """The step's YAML text (lines ending in newline, indented as a `steps:` item).

    `source`: `[tool.routinec] install`, written into the workflow; None reads the repository
    variable. `extra`: an extra to install with routinec (e.g. "anthropic"), or None."""
    if source is None:
        comment = [
            "# routinec is not published on a package index: install it from a copy of its source",
            "# (a `git+https://…` URL or a wheel built with `nox -s build`), named in the repository",
            f"# variable {SOURCE_VARIABLE} (Settings → Secrets and variables → Actions → Variables).",
        ]
        value = "${{ vars." + SOURCE_VARIABLE + " }}"
    else:
        comment = ["# routinec is not published on a package index: it installs from [tool.routinec] install."]
        value = json.dumps(source, ensure_ascii=False)  # a YAML double-quoted scalar
    script = [
        f'if [ -z "${SOURCE_VARIABLE}" ]; then',
        f'  echo "::error::set the repository variable {SOURCE_VARIABLE} to where routinec installs from (a git URL or a wheel)"',
        "  exit 2",
        "fi",
    ]
    if extra is None:
        script.append(f'python -m pip install "${SOURCE_VARIABLE}"')
    else:
        script += [
            f'case "${SOURCE_VARIABLE}" in',
            f'  *" @ "*) requirement="${SOURCE_VARIABLE}" ;;  # already routinec[…] @ URL',
            f'  git+*|http://*|https://*|file:*) requirement="routinec[{extra}] @ ${SOURCE_VARIABLE}" ;;',
            f'  *) requirement="${SOURCE_VARIABLE}[{extra}]" ;;  # a wheel or a source directory',
            "esac",
            'python -m pip install "$requirement"',
        ]
    lines = [
        *comment,
        "- name: Install routinec",
        "  env:",
        f"    {SOURCE_VARIABLE}: {value}",
        "  run: |",
        *("    " + line for line in script),
    ]
    return "".join(_INDENT + line + "\n" for line in lines)
