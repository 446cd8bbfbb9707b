"""The settings as a shareable address: the query string written and read back (pure, no Dash).

`?data=digits&init=random&n_init=4&k=10&seed=0&mesh=0.02`. Reading is as strict as the callback endpoint: an
address is typed or pasted by anyone, so each value is validated like a control value, and a bad
or unknown one falls back to the default with a note saying so (plain text: the page shows notes
as text, never as HTML).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from core.datasets import DATASETS, UPLOAD_PREFIX
from core.settings import DEFAULTS, INIT_METHODS, InvalidSettings, Settings, validate

# Query parameter → Settings field, in the order the address lists them.
PARAMETERS = {"data": "dataset", "init": "init_method", "n_init": "n_init", "k": "n_clusters", "seed": "seed",
              "mesh": "mesh_step"}
MAX_PARAMETERS = 20  # an address with more is not ours
MAX_SHOWN = 30  # characters of a bad value repeated in a note
UPLOADED = "upload"  # `data=` of an address made from an uploaded file


@dataclass(frozen=True)
class AddressSettings:
    """What an address asks for: the settings to apply, and a note per thing that was ignored."""

    settings: Settings
    notes: tuple[str, ...]


def format_query(settings: Settings) -> str:
    """The query string holding these settings, with its leading '?'."""
    values = {parameter: getattr(settings, field) for parameter, field in PARAMETERS.items()}
    if settings.dataset.startswith(UPLOAD_PREFIX):
        values["data"] = UPLOADED  # the upload's key is its secret: the address only says there was one
    values["mesh"] = repr(settings.mesh_step)  # exactly, so the address restores the same step
    return "?" + urlencode(values)


def _shown(text: str) -> str:
    return repr(text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "...")


def _typed(field: str, text: str) -> object:
    """The text as the control would send it: a number for a number field, if it is one."""
    if field in ("init_method", "dataset"):
        return text
    try:
        number = float(text)
    except ValueError:
        return text  # validate refuses a string with the field's own message
    return int(number) if number.is_integer() and abs(number) < 2**63 else number


def parse_query(search: str) -> AddressSettings:
    """The settings an address's query string asks for; anything unknown or invalid is named in a
    note and replaced by that field's default."""
    try:
        pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True, max_num_fields=MAX_PARAMETERS)
    except ValueError:
        return AddressSettings(Settings(**DEFAULTS), (("The address holds too many parameters; "
                                                       "the default settings are shown."),))
    notes: list[str] = []
    raw: dict[str, str] = {}
    for parameter, text in pairs:
        if parameter not in PARAMETERS:
            notes.append(f"The address's parameter {_shown(parameter)} is not a setting and was ignored.")
        else:
            raw.setdefault(PARAMETERS[parameter], text)  # the first of repeated ones
    values = {field: _typed(field, raw[field]) if field in raw else DEFAULTS[field] for field in DEFAULTS}
    problems: dict[str, str] = {}
    if values["dataset"] == UPLOADED:
        notes.append("This address was made from a CSV file uploaded in another tab. An upload stays private to "
                     f"the tab that uploaded it, so the {DATASETS[DEFAULTS['dataset']].title.lower()} are shown "
                     "instead, with the address's other settings.")
        values["dataset"] = DEFAULTS["dataset"]
    elif values["dataset"] not in DATASETS:
        problems["dataset"] = f"Dataset must be one of {', '.join(DATASETS)}."
        values["dataset"] = DEFAULTS["dataset"]
    # Each field on its own: PCA-based would silently skip a bad n_init or seed, but the address
    # should say it was not used. (Any valid init method stands in while the others are checked.)
    try:
        validate({**values, "init_method": INIT_METHODS[0]})
    except InvalidSettings as invalid:
        problems.update(invalid.by_field)
    if values["init_method"] not in INIT_METHODS:
        problems["init_method"] = f"Init method must be one of {', '.join(INIT_METHODS)}."
    by_field = {field: parameter for parameter, field in PARAMETERS.items()}
    for field, problem in problems.items():
        rule = problem.split("; ")[0].rstrip(".")  # the note shows what was received itself
        notes.append(f"The address's {by_field[field]}={_shown(raw.get(field, ''))} was ignored ({rule}); "
                     f"the default, {DEFAULTS[field]}, is used.")
        values[field] = DEFAULTS[field]
    try:
        return AddressSettings(validate(values), tuple(notes))
    except InvalidSettings as invalid:  # a combination (PCA-based with a k past the features)
        notes.extend(f"The address's settings were not used: {problem}" for problem in invalid.problems)
        return AddressSettings(validate(DEFAULTS), tuple(notes))
