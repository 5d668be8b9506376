"""Load a served tmeprog model once: registry URI -> version, pyfunc -> its scorer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tmeprog.errors import InputError
from tmeprog.pipeline.scorer import Scorer

_ALIAS = re.compile(r"^models:/(?P<name>[^@/]+)@(?P<alias>[^/]+)$")
_VERSION = re.compile(r"^models:/(?P<name>[^@/]+)/(?P<version>\d+)$")


@dataclass
class ServedModel:
    """A loaded model: the URI as given, its registry version and the scorer inside.

    ``version`` is empty for URIs outside the registry (``runs:/...``, a folder).
    """

    uri: str
    version: str
    scorer: Scorer
    pyfunc: object

    @property
    def task(self) -> str:
        """``prognosis`` or ``response``."""
        return self.scorer.task


def _store_label(store: str) -> str:
    """The tracking-store URI without user credentials, for messages."""
    return re.sub(r"//[^/@]*@", "//", store)


def resolve_version(uri: str, store: str) -> str:
    """The registry version a ``models:/name@alias`` or ``models:/name/<n>`` URI points to.

    Returns ``""`` for other URIs. Raises :class:`InputError` when the registry holds no
    such model, alias or version.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    m = _ALIAS.match(uri) or _VERSION.match(uri)
    if m is None:
        return ""
    client = mlflow.MlflowClient()
    name = m["name"]
    where = f"in the tracking store {_store_label(store)}"
    try:
        reg = client.get_registered_model(name)
    except MlflowException:
        try:
            known = sorted(r.name for r in client.search_registered_models(max_results=50))
        except MlflowException:
            known = []
        listed = f" (registered models: {', '.join(known)})" if known else \
            " (it holds no registered model)"
        raise InputError(f"no model named {name!r} {where}{listed}; train one with "
                         "`tmeprog train` or point --tracking-uri at the right store") from None
    if m.re is _ALIAS:
        alias = m["alias"]
        try:
            return str(client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            aliases = ", ".join(f"@{a}" for a in sorted(reg.aliases)) or "none"
            raise InputError(f"no model {uri!r} {where}: model {name!r} has no alias "
                             f"{alias!r} (its aliases: {aliases})") from None
    try:
        return str(client.get_model_version(name, m["version"]).version)
    except MlflowException:
        raise InputError(f"no model {uri!r} {where}: model {name!r} has no version "
                         f"{m['version']}") from None


def load_served_model(uri: str, tracking_uri: str | None = None) -> ServedModel:
    """Load the pyfunc at ``uri`` once and unwrap its :class:`Scorer`.

    The version is resolved first and that exact version is loaded, so an alias moved during
    the call cannot mix two models.

    Raises
    ------
    InputError
        Unknown model, alias or version; an unreadable URI; a pyfunc that is not tmeprog's.
    """
    import mlflow

    from tmeprog.tracking.store import use_store

    store = use_store(tracking_uri)
    version = resolve_version(uri, store)
    target = uri
    if version and (m := _ALIAS.match(uri)):
        target = f"models:/{m['name']}/{version}"
    try:
        loaded = mlflow.pyfunc.load_model(target)
    except Exception as exc:  # mlflow raises several types for unreadable URIs
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"no model {uri!r} in the tracking store {_store_label(store)} "
                         f"({first[:200]}); check --model and --tracking-uri") from None
    try:
        scorer = loaded.unwrap_python_model().scorer
    except Exception:
        scorer = None
    if not isinstance(scorer, Scorer):
        raise InputError(f"model {uri!r} is not a tmeprog model (no scorer inside); "
                         "score it with mlflow.pyfunc directly")
    return ServedModel(uri=uri, version=version, scorer=scorer, pyfunc=loaded)
